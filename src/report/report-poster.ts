import type { webApi } from '@slack/bolt';
import { DateTime } from 'luxon';
import type { Comparison } from '../blocks/coverage-summary.ts';
import { reportMessage } from '../blocks/report-message.ts';
import { medianOf } from '../blocks/trend.ts';
import type { RepairState } from '../blocks/types.ts';
import type { Deps } from '../context.ts';
import type { CoverageReport } from '../coverage/types.ts';
import { getNight, listHistory } from '../scheduler/history.ts';
import { latestRepairProgress, type RepairProgress } from '../scheduler/repair-progress.ts';
import { nightWarnings } from '../store/night-warnings.ts';
import {
  claimDueReportEdits,
  claimReportPost,
  markReportEdited,
  msUntilNextReportEdit,
  type ReportTarget,
  reclaimGoneReport,
  recordClaimedPost,
  recordedReports,
  recordReport,
  releaseReportClaim,
  requestReportRefresh,
} from '../store/slack-reports.ts';
import { addDays, runDateOf } from '../time/business-day.ts';
import { sleep } from '../time/waits.ts';
import { MESSAGE_TYPES, type MessageKey, messageMetadata, postOnce } from './post-once.ts';

/**
 * The morning report in Slack. The first postcheck of a run_date posts it to
 * SLACK_REPORT_CHANNEL and records (run_date, channel, ts) in slack_reports; every later
 * postcheck or repair of that day edits the recorded message instead of posting another one.
 * The database rows are written after each Slack call, never held open across it; their SQL is
 * in store/slack-reports.ts and every wait goes through time/waits.ts.
 */

type Client = Pick<webApi.WebClient, 'chat' | 'conversations'>;
export type ReportDeps = Pick<Deps, 'db' | 'config' | 'logger' | 'clock'>;
/** ReportDeps with the Web API client the messages go through. */
export type ReportClientDeps = ReportDeps & { client: Client };

export interface PostedReport extends ReportTarget {
  /** `reposted`: the recorded message no longer existed, so a fresh one was posted (its ts recorded). */
  action: 'posted' | 'updated' | 'reposted';
  /** The ts of the message that was gone. */
  gone?: string;
}

/** Refreshes edit a message at most once per this many milliseconds (coalesced in PostgreSQL). */
export const REPORT_EDIT_INTERVAL_MS = 5_000;

const COMPARISON_NIGHTS = 7;

/** Yesterday's recorded report and the median prompt coverage of the seven nights before. */
export async function loadComparison(
  deps: Pick<Deps, 'db' | 'config' | 'clock'>,
  params: { runDate: string },
): Promise<Comparison> {
  const { runDate } = params;
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
  const [comparison, warnings] = await Promise.all([
    input.comparison ?? loadComparison(deps, { runDate: input.runDate }),
    nightWarnings(deps.db, input.runDate),
  ]);
  return reportMessage({
    report: input.report,
    repair: input.repair,
    warnings,
    ...comparison,
    runbookUrl: deps.config.runbookUrl,
    now: deps.clock(),
  });
}

/** A post claimed this long ago whose poster never recorded the ts (it died) is taken over. */
const CLAIM_STALE_SECONDS = 60;
/** How long a postcheck waits for another one's post of the same night before it gives up. */
const WAIT_FOR_POST_MS = 30_000;
const POLL_MS = 100;

/**
 * Posts the report of a run_date to SLACK_REPORT_CHANNEL, or edits the one already posted there.
 * One message per night and channel however many postchecks run at once: the first post is
 * claimed in PostgreSQL (a slack_reports row with ts null) before chat.postMessage; the others
 * wait for its ts and edit. A recorded message that no longer exists is re-claimed and posted
 * afresh (`reposted`).
 */
export async function postOrUpdateReport(
  deps: ReportClientDeps,
  input: ReportInput,
): Promise<PostedReport | undefined> {
  const { client } = deps;
  const channel = deps.config.slack.reportChannel;
  if (!channel) {
    deps.logger.warn(
      { runDate: input.runDate },
      'SLACK_REPORT_CHANNEL is not set: the morning report is not posted',
    );
    return undefined;
  }
  const { runDate } = input;
  const message = await renderReport(deps, input);
  const deadline = Date.now() + WAIT_FOR_POST_MS;
  let gone: string | undefined;
  for (;;) {
    const claim = await claimReportPost(deps.db, { runDate, channel, staleSeconds: CLAIM_STALE_SECONDS });
    if (claim.kind === 'claimed') {
      const posted = await postClaimed(deps, client, { runDate, channel }, message);
      if (gone)
        deps.logger.warn({ runDate, channel, gone, ts: posted.ts }, 'report message gone: posted afresh');
      return { ...posted, action: gone ? 'reposted' : 'posted', ...(gone ? { gone } : {}) };
    }
    if (claim.kind === 'recorded') {
      const target = { channel, ts: claim.ts };
      if (await editMessage(deps, client, target, message)) {
        await recordReport(deps.db, { runDate, ...target, now: deps.clock() });
        return { ...target, action: 'updated' };
      }
      gone = claim.ts;
      if (await reclaimGoneReport(deps.db, { runDate, channel, ts: claim.ts })) {
        const posted = await postClaimed(deps, client, { runDate, channel }, message);
        deps.logger.warn({ runDate, channel, gone, ts: posted.ts }, 'report message gone: posted afresh');
        return { ...posted, action: 'reposted', gone };
      }
      continue;
    }
    if (Date.now() > deadline) {
      throw new Error(`another postcheck is posting the ${runDate} report and has not finished`);
    }
    await sleep(POLL_MS);
  }
}

async function postClaimed(
  deps: ReportDeps,
  client: Client,
  key: { runDate: string; channel: string },
  message: Rendered,
): Promise<ReportTarget> {
  let ts: string;
  try {
    // Looked up first: a post whose answer was lost (or whose poster died) is adopted, not doubled.
    const posted = await postOnce(
      { client, logger: deps.logger },
      {
        channel: key.channel,
        text: message.text ?? '',
        blocks: message.blocks,
        key: reportKey(key.runDate),
      },
    );
    ts = posted.ts;
  } catch (error) {
    // Hand the claim back so the next postcheck posts.
    await releaseReportClaim(deps.db, key);
    throw error;
  }
  const row = await recordClaimedPost(deps.db, { ...key, ts, now: deps.clock() });
  deps.logger.info({ ...key, ts }, 'morning report posted');
  // The night changed while the post was in flight (a repair finished): edit it once more.
  if (row?.owed)
    await refreshNightReports(
      { ...deps, client },
      { runDate: key.runDate, render: () => renderLatest(deps, key.runDate) },
    );
  return { channel: key.channel, ts };
}

/** The night's report in Slack's message metadata: what a lookup finds it by. */
export const reportKey = (runDate: string): MessageKey => ({
  eventType: MESSAGE_TYPES.report,
  payload: { run_date: runDate, kind: 'report' },
});

/**
 * Re-renders the report and edits every message of the run_date: those recorded in slack_reports
 * and `extra` (the message a button was clicked in). A message deleted in Slack is skipped.
 */
export async function refreshReports(
  deps: ReportClientDeps,
  input: ReportInput & { extra?: ReportTarget[] },
): Promise<ReportTarget[]> {
  const { client } = deps;
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

/** The message metadata of a shared copy: whatever reads a channel's messages never takes it for the report. */
export const REPORT_COPY_EVENT = 'sched_report_copy';

/**
 * Posts a copy of a night's report into a channel (Share to channel). A copy is a snapshot: it
 * is never recorded in slack_reports (the night keeps its one report, which repairs edit), and
 * its message metadata says it is a copy.
 */
export async function shareReport(
  deps: ReportClientDeps,
  input: ReportInput & { channel: string },
): Promise<ReportTarget> {
  const { client } = deps;
  const message = await renderReport(deps, input);
  // Marked as a copy: a lookup for the night's report never takes it for the report.
  const posted = await client.chat.postMessage({
    channel: input.channel,
    text: message.text,
    blocks: message.blocks,
    metadata: messageMetadata({
      eventType: MESSAGE_TYPES.reportCopy,
      payload: { run_date: input.runDate, kind: 'copy' },
    }),
  });
  return { channel: posted.channel ?? input.channel, ts: String(posted.ts) };
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
    await markReportEdited(deps.db, target);
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

/** The night's latest recorded figures (what history shows) and its latest repair, as a report input. */
export async function latestReportInput(
  deps: Pick<Deps, 'db'>,
  params: { runDate: string; fallback?: CoverageReport | undefined },
): Promise<ReportInput> {
  const { runDate, fallback } = params;
  const [latest, progress] = await Promise.all([
    getNight(deps.db, runDate),
    latestRepairProgress(deps.db, runDate),
  ]);
  const report = latest ?? fallback;
  if (!report) throw new Error(`no recorded postcheck for ${runDate}`);
  return { runDate, report, repair: progress && toRepairState(progress) };
}

export const toRepairState = (p: RepairProgress): RepairState => ({
  userId: p.triggeredBy,
  startedAt: p.startedAt,
  units: p.units,
  done: p.done,
  failed: p.failed,
  ...(p.finishedAt ? { finishedAt: p.finishedAt } : {}),
});

const renderLatest = async (deps: ReportDeps, runDate: string) =>
  renderReport(deps, await latestReportInput(deps, { runDate }));

/**
 * Edits every recorded message of a night whose numbers changed, coalesced across processes: the
 * request is marked on the night's slack_reports rows; whoever finds a row past its interval
 * since the last edit claims it (one UPDATE), renders the latest figures and edits. A request
 * inside the interval waits for its end, unless another caller's edit already covered it.
 * Returns how many messages this call edited.
 */
export async function refreshNightReports(
  deps: ReportClientDeps,
  params: { runDate: string; render?: () => Promise<Rendered>; intervalMs?: number | undefined },
): Promise<number> {
  const { runDate } = params;
  const { client } = deps;
  const render = params.render ?? (() => renderLatest(deps, runDate));
  const seconds = (params.intervalMs ?? REPORT_EDIT_INTERVAL_MS) / 1000;
  await requestReportRefresh(deps.db, runDate);
  let edits = 0;
  for (;;) {
    const due = await claimDueReportEdits(deps.db, { runDate, seconds });
    if (due.length > 0) {
      const message = await render();
      for (const target of due) if (await editMessage(deps, client, target, message)) edits += 1;
    }
    const wait = await msUntilNextReportEdit(deps.db, { runDate, seconds });
    if (wait === undefined) return edits;
    await sleep(Math.max(20, wait));
  }
}
