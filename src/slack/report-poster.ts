import type { webApi } from '@slack/bolt';
import { sql } from 'drizzle-orm';
import { DateTime } from 'luxon';
import type { Deps } from '../context.ts';
import type { CoverageReport } from '../coverage/types.ts';
import { type Db, queryOne, queryRows } from '../db/client.ts';
import { addDays, runDateOf } from '../scheduler/business-day.ts';
import { getNight, listHistory } from '../scheduler/history.ts';
import type { Comparison } from '../views/coverage-summary.ts';
import { reportMessage } from '../views/report-message.ts';
import { medianOf } from '../views/trend.ts';
import type { RepairState } from '../views/types.ts';

/**
 * The morning report in Slack. The first postcheck of a run_date posts it to
 * SLACK_REPORT_CHANNEL and records (run_date, channel, ts) in slack_reports; every later
 * postcheck or repair of that day edits the recorded message instead of posting another one.
 * The database rows are written after each Slack call, never held open across it.
 */

type Client = Pick<webApi.WebClient, 'chat'>;
export type ReportDeps = Pick<Deps, 'db' | 'config' | 'logger' | 'clock'>;

export interface ReportTarget {
  channel: string;
  ts: string;
}

export interface PostedReport extends ReportTarget {
  action: 'posted' | 'updated';
}

const COMPARISON_NIGHTS = 7;

/** Yesterday's recorded report and the median prompt coverage of the seven nights before. */
export async function loadComparison(
  deps: Pick<Deps, 'db' | 'config' | 'clock'>,
  runDate: string,
): Promise<Comparison> {
  const now = deps.clock();
  const zone = deps.config.timezone;
  const today = runDateOf(now, zone);
  const daysBack = DateTime.fromISO(today, { zone: 'UTC' }).diff(
    DateTime.fromISO(runDate, { zone: 'UTC' }),
    'days',
  ).days;
  const [previous, nights] = await Promise.all([
    getNight(deps.db, addDays(runDate, -1)),
    listHistory(deps.db, { days: COMPARISON_NIGHTS, offset: Math.max(0, daysBack) + 1, now, timezone: zone }),
  ]);
  return { previous, median7: medianOf(nights.map((n) => n.promptCoverage?.percent ?? null)) };
}

export interface ReportInput {
  runDate: string;
  report: CoverageReport;
  repair?: RepairState | undefined;
  comparison?: Comparison;
}

export async function renderReport(deps: ReportDeps, input: ReportInput) {
  const comparison = input.comparison ?? (await loadComparison(deps, input.runDate));
  return reportMessage({
    report: input.report,
    repair: input.repair,
    ...comparison,
    runbookUrl: deps.config.runbookUrl,
    now: deps.clock(),
  });
}

/** Posts the report of a run_date to SLACK_REPORT_CHANNEL, or edits the one already posted there. */
export async function postOrUpdateReport(
  deps: ReportDeps,
  client: Client,
  input: ReportInput,
): Promise<PostedReport | undefined> {
  const channel = deps.config.slack.reportChannel;
  if (!channel) {
    deps.logger.warn(
      { runDate: input.runDate },
      'SLACK_REPORT_CHANNEL is not set: the morning report is not posted',
    );
    return undefined;
  }
  const message = await renderReport(deps, input);
  const existing = await recordedReport(deps.db, input.runDate, channel);
  if (existing && (await editMessage(deps, client, existing, message))) {
    await recordReport(deps.db, { runDate: input.runDate, ...existing }, deps.clock());
    return { ...existing, action: 'updated' };
  }
  const posted = await client.chat.postMessage({ channel, text: message.text, blocks: message.blocks });
  const target = { channel: posted.channel ?? channel, ts: String(posted.ts) };
  await recordReport(deps.db, { runDate: input.runDate, ...target }, deps.clock());
  deps.logger.info({ runDate: input.runDate, ...target }, 'morning report posted');
  return { ...target, action: 'posted' };
}

/**
 * Re-renders the report and edits every message of the run_date: those recorded in slack_reports
 * and `extra` (the message a button was clicked in). A message deleted in Slack is skipped.
 */
export async function refreshReports(
  deps: ReportDeps,
  client: Client,
  input: ReportInput & { extra?: ReportTarget[] },
): Promise<ReportTarget[]> {
  const recorded = await recordedReports(deps.db, input.runDate);
  const targets = uniqueTargets([...recorded, ...(input.extra ?? [])]);
  if (targets.length === 0) return [];
  const message = await renderReport(deps, input);
  const edited: ReportTarget[] = [];
  for (const target of targets) {
    if (await editMessage(deps, client, target, message)) edited.push(target);
  }
  return edited;
}

/** Posts a report into a channel (Share to channel) and records it, so repairs edit it too. */
export async function shareReport(
  deps: ReportDeps,
  client: Client,
  input: ReportInput & { channel: string },
): Promise<ReportTarget> {
  const message = await renderReport(deps, input);
  const posted = await client.chat.postMessage({
    channel: input.channel,
    text: message.text,
    blocks: message.blocks,
  });
  const target = { channel: posted.channel ?? input.channel, ts: String(posted.ts) };
  await recordReport(deps.db, { runDate: input.runDate, ...target }, deps.clock());
  return target;
}

type Rendered = ReturnType<typeof reportMessage>;

/** chat.update; false when the message is gone (deleted, or in a channel the bot left). */
async function editMessage(
  deps: ReportDeps,
  client: Client,
  target: ReportTarget,
  message: Rendered,
): Promise<boolean> {
  try {
    await client.chat.update({
      channel: target.channel,
      ts: target.ts,
      text: message.text ?? '',
      blocks: message.blocks,
    });
    return true;
  } catch (error) {
    const code = slackErrorCode(error);
    if (code && GONE.has(code)) {
      deps.logger.warn({ ...target, code }, 'report message can no longer be edited');
      return false;
    }
    throw error;
  }
}

const GONE = new Set([
  'message_not_found',
  'channel_not_found',
  'cant_update_message',
  'not_in_channel',
  'is_archived',
]);

/** The `error` of a Web API platform error (`{ ok: false, error: 'message_not_found' }`). */
export function slackErrorCode(error: unknown): string | undefined {
  const data = (error as { data?: { error?: unknown } } | undefined)?.data;
  return typeof data?.error === 'string' ? data.error : undefined;
}

const uniqueTargets = (targets: ReportTarget[]) => [
  ...new Map(targets.map((t) => [`${t.channel}/${t.ts}`, t])).values(),
];

export async function recordedReport(
  db: Db,
  runDate: string,
  channel: string,
): Promise<ReportTarget | undefined> {
  return queryOne<ReportTarget>(
    db,
    sql`select channel, ts from slack_reports where run_date = ${runDate}::date and channel = ${channel}`,
  );
}

export async function recordedReports(db: Db, runDate: string): Promise<ReportTarget[]> {
  return queryRows<ReportTarget>(
    db,
    sql`select channel, ts from slack_reports where run_date = ${runDate}::date order by posted_at, channel`,
  );
}

async function recordReport(db: Db, row: ReportTarget & { runDate: string }, now: Date): Promise<void> {
  await db.execute(
    sql`insert into slack_reports (run_date, channel, ts, posted_at, updated_at)
        values (${row.runDate}::date, ${row.channel}, ${row.ts}, ${now.toISOString()}::timestamptz,
                ${now.toISOString()}::timestamptz)
        on conflict (run_date, channel) do update
          set ts = excluded.ts, updated_at = excluded.updated_at,
              posted_at = case when slack_reports.ts = excluded.ts then slack_reports.posted_at else excluded.posted_at end`,
  );
}
