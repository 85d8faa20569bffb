import { describe, expect, it } from 'vitest';
import { accessDenied } from '../../../src/blocks/access-denied.ts';
import { errorMessage } from '../../../src/blocks/error-message.ts';
import { historyMessage } from '../../../src/blocks/history-message.ts';
import { homeView } from '../../../src/blocks/home-view.ts';
import { liveStatusMessage } from '../../../src/blocks/live-status-message.ts';
import { liveUnitsModal } from '../../../src/blocks/live-units-modal.ts';
import { missingPromptsModal } from '../../../src/blocks/missing-prompts-modal.ts';
import { orgOptions } from '../../../src/blocks/org-options.ts';
import { repairAlreadyRunning } from '../../../src/blocks/repair-already-running.ts';
import { reportMessage } from '../../../src/blocks/report-message.ts';
import { rerunModal } from '../../../src/blocks/rerun-modal.ts';
import { rerunResultMessage } from '../../../src/blocks/rerun-result-message.ts';
import { runDetailModal } from '../../../src/blocks/run-detail-modal.ts';
import { statusMessage } from '../../../src/blocks/status-message.ts';
import type { NightProgress } from '../../../src/blocks/types.ts';
import { unknownOrgMessage } from '../../../src/blocks/unknown-org-message.ts';
import type { LiveUnit } from '../../../src/queue/live-units.ts';
import { checkBlockKitLimits, type SurfaceKind } from '../../support/block-kit-limits.ts';
import { makeHistory } from '../../support/history-factory.ts';
import { hugeReport, longName, longPrompt, makeReport } from '../../support/report-factory.ts';

const now = new Date('2026-03-08T12:00:00Z');

function progressOf(orgs: number, name: (i: number) => string): NightProgress {
  return {
    runDate: '2026-03-08',
    startedAt: new Date('2026-03-08T07:00:00Z'),
    overall: { total: orgs * 30, done: orgs * 12, failed: orgs },
    providers: [
      { provider: 'openai', total: orgs * 15, done: orgs * 10, failed: 0 },
      { provider: 'perplexity', total: orgs * 15, done: orgs * 2, failed: orgs },
    ],
    orgs: Array.from({ length: orgs }, (_, i) => ({
      orgId: String(i),
      name: name(i),
      total: 30,
      done: i % 30,
      failed: 0,
    })),
    ratePerMinute: 120,
  };
}

/** Units not answered yet, three per org of `progress`, with the given prompt text. */
const liveUnits = (progress: NightProgress, text: string): LiveUnit[] =>
  (progress.orgs ?? []).flatMap((o) =>
    ['openai', 'perplexity', 'gemini'].map((provider, i) => ({
      orgId: o.orgId,
      promptId: `p${i}`,
      provider: provider as LiveUnit['provider'],
      status: i === 0 ? ('failed' as const) : ('pending' as const),
      errorClass: i === 0 ? 'server' : null,
      text,
    })),
  );

const orgChoices = (n: number, name: (i: number) => string) =>
  Array.from({ length: n }, (_, i) => ({
    id: `00000000-0000-4000-8000-${String(i).padStart(12, '0')}`,
    name: name(i),
    slug: `slug-${i}`,
    missing: i,
  }));

/** Every view, with small data and with the largest data the brief names. */
const sizes = {
  small: {
    report: makeReport(),
    history: makeHistory(5),
    progress: progressOf(3, (i) => `Org ${i}`),
    orgs: orgChoices(3, (i) => `Org ${i}`),
    text: 'acme',
    admins: ['U111', 'U222'],
  },
  huge: {
    report: hugeReport(),
    history: makeHistory(60),
    progress: progressOf(1000, longName),
    orgs: orgChoices(1000, longName),
    text: `"'; drop table organizations; -- <@U1> & ${'q'.repeat(5000)}`,
    admins: Array.from({ length: 300 }, (_, i) => `U${String(i).padStart(8, '0')}`),
  },
};

describe.each(Object.entries(sizes))(
  'every view stays within Block Kit limits with %s data',
  (_size, data) => {
    const report = data.report;
    const views: [string, SurfaceKind, () => unknown][] = [
      [
        'reportMessage',
        'message',
        () => reportMessage({ report, previous: makeReport({ orgsMissing: 1 }), median7: 97, now }),
      ],
      [
        'reportMessage while repairing',
        'message',
        () =>
          reportMessage({
            report,
            repair: { userId: 'U123', startedAt: now, units: 5000, done: 1200, failed: 3 },
            now,
          }),
      ],
      [
        'reportMessage after a repair',
        'message',
        () =>
          reportMessage({
            report,
            repair: { userId: 'U123', startedAt: now, units: 5000, done: 5000, failed: 3, finishedAt: now },
            now,
          }),
      ],
      [
        'statusMessage',
        'message',
        () =>
          statusMessage({
            report,
            progress: data.progress,
            providerChecks: [
              { provider: 'openai', ok: true, detail: 'answered in 230 ms' },
              { provider: 'perplexity', ok: false, detail: `401 ${data.text}` },
            ],
            now,
          }),
      ],
      [
        'liveStatusMessage',
        'message',
        () =>
          liveStatusMessage({
            runDate: '2026-03-08',
            progress: data.progress,
            orgs: (data.progress.orgs ?? []).map((o) => ({ orgId: o.orgId, name: o.name, left: 30 })),
            units: liveUnits(data.progress, data.text),
            now,
            zone: 'America/New_York',
          }),
      ],
      [
        'liveUnitsModal',
        'modal',
        () => {
          const units = liveUnits(data.progress, data.text).slice(0, 50);
          const orgNames = new Map((data.progress.orgs ?? []).map((o) => [o.orgId, o.name]));
          return liveUnitsModal({ runDate: '2026-03-08', page: 3, left: 30_000, units, orgNames });
        },
      ],
      ['repairAlreadyRunning', 'message', () => repairAlreadyRunning({ userId: 'U123', startedAt: now })],
      ['accessDenied', 'message', () => accessDenied({ adminUsers: data.admins, adminUsergroup: 'S0123' })],
      ['errorMessage', 'message', () => errorMessage(`Could not reach the database: ${data.text}`)],
      ['unknownOrgMessage', 'message', () => unknownOrgMessage(data.text, data.orgs)],
      [
        'rerunResultMessage',
        'message',
        () =>
          rerunResultMessage({
            outcome: {
              org: { name: longName(1) },
              runDate: '2026-03-08',
              scope: 'all',
              tasks: 300,
              byProvider: { openai: 150, perplexity: 150 },
            },
            userId: 'U123',
          }),
      ],
      [
        'rerunModal',
        'modal',
        () =>
          rerunModal({ orgs: data.orgs, query: data.text, initialOrg: data.orgs[0], runDate: '2026-03-08' }),
      ],
      ['orgOptions', 'options', () => orgOptions(data.orgs)],
      [
        'historyMessage',
        'message',
        () =>
          historyMessage({ entries: data.history, page: 1, pageSize: data.history.length, totalDays: 365 }),
      ],
      ['runDetailModal', 'modal', () => runDetailModal(report)],
      ['missingPromptsModal first page', 'modal', () => missingPromptsModal({ report, page: 0 })],
      ['missingPromptsModal last page', 'modal', () => missingPromptsModal({ report, page: 10_000 })],
      [
        'homeView with a report',
        'home',
        () => homeView({ today: { runDate: report.runDate, report }, nights: data.history, now }),
      ],
      [
        'homeView while running',
        'home',
        () =>
          homeView({
            today: { runDate: report.runDate, progress: data.progress },
            nights: data.history,
            now,
          }),
      ],
    ];

    it.each(views)('%s', (_name, kind, render) => {
      expect(checkBlockKitLimits(render(), kind)).toEqual([]);
    });
  },
);

describe('checkBlockKitLimits catches what Slack rejects', () => {
  const section = (text: string, extra: Record<string, unknown> = {}) => ({
    type: 'section',
    text: { type: 'mrkdwn', text },
    ...extra,
  });
  const button = (actionId: string, text = 'Go', value = 'v') => ({
    type: 'button',
    action_id: actionId,
    text: { type: 'plain_text', text },
    value,
  });

  it('accepts a plain valid message', () => {
    expect(checkBlockKitLimits({ text: 'A meaningful text', blocks: [section('hello')] }, 'message')).toEqual(
      [],
    );
  });

  it.each([
    ['no top-level text', { blocks: [section('x')] }, 'text'],
    [
      '51 blocks',
      { text: 'enough text', blocks: Array.from({ length: 51 }, () => ({ type: 'divider' })) },
      '51 blocks',
    ],
    [
      'a 3,001-character section',
      { text: 'enough text', blocks: [section('a'.repeat(3001))] },
      '3001 characters',
    ],
    [
      '11 fields',
      {
        text: 'enough text',
        blocks: [
          { type: 'section', fields: Array.from({ length: 11 }, () => ({ type: 'mrkdwn', text: 'f' })) },
        ],
      },
      '11 fields',
    ],
    [
      'a 151-character header',
      {
        text: 'enough text',
        blocks: [{ type: 'header', text: { type: 'plain_text', text: 'h'.repeat(151) } }],
      },
      '151 characters',
    ],
    [
      'duplicate block ids',
      { text: 'enough text', blocks: [section('a', { block_id: 'b' }), section('c', { block_id: 'b' })] },
      'duplicate b',
    ],
    [
      'duplicate action ids',
      { text: 'enough text', blocks: [{ type: 'actions', elements: [button('a'), button('a')] }] },
      'duplicate a',
    ],
    [
      'a 76-character button',
      { text: 'enough text', blocks: [{ type: 'actions', elements: [button('a', 'b'.repeat(76))] }] },
      '76 characters',
    ],
    [
      'a 2,001-character value',
      { text: 'enough text', blocks: [{ type: 'actions', elements: [button('a', 'b', 'v'.repeat(2001))] }] },
      '2001 characters',
    ],
    [
      '101 options',
      {
        text: 'enough text',
        blocks: [
          {
            type: 'actions',
            elements: [
              {
                type: 'static_select',
                action_id: 's',
                options: Array.from({ length: 101 }, (_, i) => ({
                  text: { type: 'plain_text', text: `o${i}` },
                  value: `${i}`,
                })),
              },
            ],
          },
        ],
      },
      '101 options',
    ],
    ['an injected mention', { text: 'enough text', blocks: [section('Org <!channel>')] }, 'unexpected token'],
    [
      'an injected link',
      { text: 'enough text', blocks: [section('<https://evil.example|click>')] },
      'unexpected token',
    ],
    ['an unescaped ampersand', { text: 'enough text', blocks: [section('A & B')] }, 'unescaped &'],
    [
      'a 301-character confirm',
      {
        text: 'enough text',
        blocks: [
          {
            type: 'actions',
            elements: [
              {
                ...button('a'),
                confirm: {
                  title: { type: 'plain_text', text: 't' },
                  text: { type: 'mrkdwn', text: 'c'.repeat(301) },
                  confirm: { type: 'plain_text', text: 'ok' },
                  deny: { type: 'plain_text', text: 'no' },
                },
              },
            ],
          },
        ],
      },
      '301 characters',
    ],
  ])('%s', (_name, view, problem) => {
    const problems = checkBlockKitLimits(view, 'message');
    expect(problems.join('\n')).toContain(problem);
  });

  it('holds modals to 100 blocks and a 24-character title', () => {
    const modal = {
      type: 'modal',
      title: { type: 'plain_text', text: 't'.repeat(25) },
      blocks: Array.from({ length: 101 }, () => ({ type: 'divider' })),
    };
    const problems = checkBlockKitLimits(modal, 'modal').join('\n');
    expect(problems).toContain('101 blocks, over 100');
    expect(problems).toContain('25 characters, over 24');
  });

  it('the hostile factory data really is hostile', () => {
    expect(longName(1)).toHaveLength(200);
    expect(longPrompt(1, 1)).toHaveLength(3000);
    expect(longName(1)).toContain('<!channel>');
  });
});
