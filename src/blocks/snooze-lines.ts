import { DateTime } from 'luxon';
import { snoozedUnits } from '../coverage/snoozed-units.ts';
import type { ActiveSnooze, CoverageReport, SnoozedGroup } from '../coverage/types.ts';
import { actorLabel, count, inlineText, plural, slackDate } from './format.ts';
import { sentenceMessage } from './sentence-message.ts';

/**
 * Snoozes in words, for Slack (mrkdwn, times as <!date> tokens, so each reader sees their own
 * zone) and plain text (the CLI, the text report: 24-hour times with the zone):
 * "12 units snoozed: perplexity until 06:00 EST (vendor maintenance), by @dana".
 */

export type TimeStyle = 'slack' | 'text';

/** "perplexity", "Acme" or "perplexity for Acme". */
export function snoozeScopeLabel(s: Pick<ActiveSnooze, 'provider' | 'orgId' | 'orgName'>): string {
  const org = s.orgId === null ? undefined : inlineText(s.orgName ?? s.orgId, 80);
  if (s.provider && org) return `${s.provider} for ${org}`;
  return s.provider ?? org ?? 'unknown scope';
}

/** "until 06:00 EST", "until Mar 9 06:00 EST" (a later day), or "until its next success". */
export function snoozeUntilLabel(
  s: Pick<ActiveSnooze, 'until' | 'untilSuccess'>,
  zone: string,
  style: TimeStyle,
  now: Date,
): string {
  if (s.until === null) return 'until its next success';
  const end = new Date(s.until);
  const local = DateTime.fromJSDate(end, { zone });
  const sameDay = local.hasSame(DateTime.fromJSDate(now, { zone }), 'day');
  const time =
    style === 'slack'
      ? slackDate(end, zone, sameDay ? '{time}' : '{date_short} {time}')
      : local.toFormat(sameDay ? 'HH:mm ZZZZ' : 'LLL d HH:mm ZZZZ');
  return `until ${time}${s.untilSuccess ? ' or its next success' : ''}`;
}

const byLabel = (by: string, style: TimeStyle) =>
  style === 'slack' ? actorLabel(by) : by.startsWith('cli:') ? by : `@${by}`;

/** "perplexity until 06:00 EST (vendor maintenance), by @dana": the reason apart from the subject. */
export function snoozeLine(s: ActiveSnooze, zone: string, style: TimeStyle, now: Date): string {
  const reason = s.reason ? ` (${inlineText(s.reason, 120)})` : '';
  return `${snoozeScopeLabel(s)} ${snoozeUntilLabel(s, zone, style, now)}${reason}, by ${byLabel(s.by, style)}`;
}

/** "12 units snoozed: perplexity until 06:00 EST (maintenance), by @dana; …", or undefined with no snooze. */
export function snoozedSummary(report: CoverageReport, style: TimeStyle): string | undefined {
  // A snooze over units that all succeeded holds nothing back: "0 units snoozed" says nothing.
  const groups: SnoozedGroup[] = (report.snoozed ?? []).filter((g) => g.units > 0);
  if (groups.length === 0) return undefined;
  const now = new Date(report.generatedAt);
  const lines = groups.map(
    (g) => `${snoozeLine(g, report.timezone, style, now)}${groups.length > 1 ? ` (${count(g.units)})` : ''}`,
  );
  return `${plural(snoozedUnits(report), 'unit')} snoozed: ${lines.join('; ')}`;
}

/** The answer to whoever snoozed: "😴 Snoozed perplexity until 06:00 (maintenance), by @dana (snooze 4)." */
export function snoozedMessage(snooze: ActiveSnooze, zone: string, now: Date) {
  const starts = new Date(snooze.startsAt);
  const window =
    starts.getTime() > now.getTime()
      ? ` from ${slackDate(starts, zone, '{date_short} {time}')} (a maintenance window)`
      : '';
  return sentenceMessage(
    `😴 Snoozed ${snoozeLine(snooze, zone, 'slack', now)}${window} (snooze ${snooze.id}). Its units stay in the coverage figures, shown apart; Repair and paging leave them out.`,
  );
}

/** The one line in the report's thread when a snooze is over. */
export function snoozeOverMessage(snooze: ActiveSnooze & { endedBy: string | null }) {
  const how =
    snooze.endedBy === 'success'
      ? 'ended at its first success'
      : snooze.endedBy
        ? `ended early by ${actorLabel(snooze.endedBy)}`
        : 'is over';
  const reason = snooze.reason ? ` (${inlineText(snooze.reason, 120)})` : '';
  return sentenceMessage(
    `⏰ The snooze on ${snoozeScopeLabel(snooze)}${reason} ${how}: its missing units count as actionable again.`,
  );
}
