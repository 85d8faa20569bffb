import { DateTime } from 'luxon';
import { snoozedUnits } from '../coverage/snoozed-units.ts';
import type { ActiveSnooze, CoverageReport, SnoozedGroup } from '../coverage/types.ts';
import { actorLabel, count, inlineText, plural, slackTime } from './format.ts';
import { sentenceMessage } from './sentence-message.ts';

/**
 * Snoozes in words, for Slack (mrkdwn, times as <!date> tokens) and plain text (the CLI, the
 * text report): "12 units snoozed: perplexity maintenance until 06:00, by @dana".
 */

export type TimeStyle = 'slack' | 'text';

/** "perplexity", "Acme" or "perplexity for Acme". */
export function snoozeScopeLabel(s: Pick<ActiveSnooze, 'provider' | 'orgId' | 'orgName'>): string {
  const org = s.orgId === null ? undefined : inlineText(s.orgName ?? s.orgId, 80);
  if (s.provider && org) return `${s.provider} for ${org}`;
  return s.provider ?? org ?? 'unknown scope';
}

/** "until 06:00", "until Mar 9 06:00" (a later day), or "until its next success". */
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
    style === 'slack' && sameDay ? slackTime(end, zone) : local.toFormat(sameDay ? 'HH:mm' : 'LLL d HH:mm');
  return `until ${time}${s.untilSuccess ? ' or its next success' : ''}`;
}

const byLabel = (by: string, style: TimeStyle) =>
  style === 'slack' ? actorLabel(by) : by.startsWith('cli:') ? by : `@${by}`;

/** "perplexity maintenance until 06:00, by @dana" (the reason stands in the middle when given). */
export function snoozeLine(s: ActiveSnooze, zone: string, style: TimeStyle, now: Date): string {
  const reason = s.reason ? ` ${inlineText(s.reason, 120)}` : '';
  return `${snoozeScopeLabel(s)}${reason} ${snoozeUntilLabel(s, zone, style, now)}, by ${byLabel(s.by, style)}`;
}

/** "12 units snoozed: perplexity maintenance until 06:00, by @dana; …", or undefined with no snooze. */
export function snoozedSummary(report: CoverageReport, style: TimeStyle): string | undefined {
  const groups: SnoozedGroup[] = report.snoozed ?? [];
  if (groups.length === 0) return undefined;
  const now = new Date(report.generatedAt);
  const lines = groups.map(
    (g) => `${snoozeLine(g, report.timezone, style, now)}${groups.length > 1 ? ` (${count(g.units)})` : ''}`,
  );
  return `${plural(snoozedUnits(report), 'unit')} snoozed: ${lines.join('; ')}`;
}

/** The answer to whoever snoozed: "😴 Snoozed perplexity maintenance until 06:00, by @dana (snooze 4)." */
export function snoozedMessage(snooze: ActiveSnooze, zone: string, now: Date) {
  const starts = new Date(snooze.startsAt);
  const window =
    starts.getTime() > now.getTime()
      ? ` from ${DateTime.fromJSDate(starts, { zone }).toFormat('LLL d HH:mm')} (a maintenance window)`
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
