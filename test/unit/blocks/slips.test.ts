import { describe, expect, it } from 'vitest';
import { historyMessage } from '../../../src/blocks/history-message.ts';
import { homeView } from '../../../src/blocks/home-view.ts';
import { loadingModal, noticeModal } from '../../../src/blocks/loading-view.ts';
import { reportMessage } from '../../../src/blocks/report-message.ts';
import { snoozedMessage, snoozeOverMessage } from '../../../src/blocks/snooze-lines.ts';
import { statusMessage } from '../../../src/blocks/status-message.ts';
import { formatCoverageReport } from '../../../src/blocks/text-report.ts';
import { helpText } from '../../../src/console/banner.ts';
import { renderMessage, renderView } from '../../../src/console/render-blocks.ts';
import { withSnoozes } from '../../../src/coverage/snoozed-units.ts';
import type { ActiveSnooze, CoverageReport } from '../../../src/coverage/types.ts';
import { cronExpressionProblem } from '../../../src/time/cron-matcher.ts';
import { makeHistory } from '../../support/history-factory.ts';
import { makeReport } from '../../support/report-factory.ts';

/**
 * Every kind of message, rendered as Slack would get it and as the console prints it, read for
 * the slips a newcomer tripped on: a doubled word, "a invalid", "0 units snoozed", a subject and
 * its reason run together, 12-hour times, and (in the console) raw emoji codes.
 */

const now = new Date('2026-03-09T13:28:00Z');
const zone = 'America/New_York';
const snooze = (over: Partial<ActiveSnooze> = {}): ActiveSnooze => ({
  id: 4,
  scope: 'provider',
  provider: 'perplexity',
  orgId: null,
  orgName: null,
  startsAt: '2026-03-09T12:00:00Z',
  until: '2026-03-09T18:28:00Z',
  untilSuccess: false,
  reason: 'vendor maintenance',
  by: 'U0ADMIN01',
  ...over,
});

const healthy = makeReport({ runDate: '2026-03-09', orgsMissing: 0, healthyOrgs: 30, generatedAt: now });
const failing = makeReport({ runDate: '2026-03-09', orgsMissing: 6, healthyOrgs: 10, generatedAt: now });
const reports: Record<string, CoverageReport> = {
  healthy,
  failing,
  'healthy, with snoozes that hold nothing': withSnoozes(healthy, [
    snooze(),
    snooze({ id: 5, provider: 'gemini' }),
  ]),
  'failing, with a snooze': withSnoozes(failing, [snooze()]),
};

type Message = { text?: unknown; blocks?: unknown };
const slackMessages: [string, Message][] = [
  ...Object.entries(reports).flatMap(([name, report]): [string, Message][] => [
    [`report (${name})`, reportMessage({ report, now })],
    [`status (${name})`, statusMessage({ report, now })],
  ]),
  ['history, one night', historyMessage({ entries: makeHistory(1), page: 0, pageSize: 7, totalDays: 14 })],
  ['history, a page', historyMessage({ entries: makeHistory(7), page: 1, pageSize: 7, totalDays: 30 })],
  ['snoozed', snoozedMessage(snooze(), zone, now)],
  ['maintenance window', snoozedMessage(snooze({ startsAt: '2026-03-10T12:00:00Z' }), zone, now)],
  ['snooze over', snoozeOverMessage({ ...snooze(), endedBy: 'success' })],
];
const views: [string, unknown][] = [
  ['loading', loadingModal('Night 2026-03-09')],
  ['notice', noticeModal('Night', 'No postcheck was recorded for 2026-03-09.')],
  ['home', homeView({ today: { runDate: '2026-03-09', report: failing }, nights: [], now, timezone: zone })],
];
const texts: [string, string][] = [
  ...Object.entries(reports).map(([name, report]): [string, string] => [
    `text report (${name})`,
    formatCoverageReport(report),
  ]),
  ['cron refusal', cronExpressionProblem('99 3 * * *') ?? ''],
  ['console help', helpText({}, ['/sched-status', '/sched-rerun', '/sched-history', '/sched-snooze'])],
];

/** Slips a reader stops at; each returns what it found. */
function slips(text: string): string[] {
  const words = text.replace(/<[^>]*>/g, ' ').replace(/[*_`]/g, '');
  const found: string[] = [];
  for (const m of words.matchAll(/\b([A-Za-z]{2,}) \1\b/gi)) found.push(`doubled "${m[0]}"`);
  for (const m of words.matchAll(/\ba\s+(?:[aeio]\w+|un\w+|hour\w*)\b/gi)) found.push(`"${m[0]}"`);
  if (/\b0 units? snoozed/.test(words)) found.push('"0 units snoozed"');
  if (/\(0\)/.test(words)) found.push('"(0)"');
  if (/\b\d{1,2}:\d\d\s?[AP]M\b/.test(words)) found.push('a 12-hour time');
  if (/perplexity vendor maintenance/.test(words)) found.push('the reason glued to the subject');
  return found;
}

describe('every message kind, as Slack gets it', () => {
  it.each(slackMessages)('%s reads without slips', (_, message) => {
    expect(slips(JSON.stringify(message))).toEqual([]);
  });
  it.each(texts)('%s reads without slips', (_, text) => {
    expect(slips(text)).toEqual([]);
  });

  it('puts Slack times in date tokens, so each reader sees their own zone', () => {
    const text = JSON.stringify(snoozedMessage(snooze(), zone, now));
    expect(text).toMatch(/Snoozed perplexity until <!date\^\d+\^\{time\}\|[^>]+> \(vendor maintenance\)/);
  });
});

describe('every message kind, as the console prints it', () => {
  const printed: [string, string][] = [
    ...slackMessages.map(([name, m]): [string, string] => [name, renderMessage(m, { timeZone: zone }).text]),
    ...views.map(([name, v]): [string, string] => [name, renderView(v, { timeZone: zone }).text]),
  ];
  it.each(printed)('%s: no slips, no raw emoji codes, 24-hour times with their zone', (_, text) => {
    expect(slips(text)).toEqual([]);
    expect(text).not.toMatch(/:[a-z_]+:/);
  });

  it('prints the snooze time as 24-hour with its zone', () => {
    const text = renderMessage(snoozedMessage(snooze(), zone, now), { timeZone: zone }).text;
    expect(text).toContain('Snoozed perplexity until 14:28 EDT (vendor maintenance)');
  });

  it("lists each slash command's arguments in help", () => {
    const help = helpText({}, ['/sched-status', '/sched-rerun', '/sched-history', '/sched-snooze']);
    expect(help).toContain('/sched-rerun <org> [--failed | --all] [--provider P]');
    expect(help).toContain('/sched-snooze <provider | org> <2h | 06:00 | until-success> [reason]');
  });
});
