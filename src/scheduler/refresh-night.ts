import { sql } from 'drizzle-orm';
import { expectedFingerprint } from '../coverage/expected-fingerprint.ts';
import type { CoverageReport } from '../coverage/types.ts';
import { type Db, queryOne } from '../db/client.ts';
import { isLive } from '../db/live-status.ts';
import { toError } from '../errors.ts';
import { FUNCTION_NAMES, recordLatestRun } from '../store/scheduler-runs.ts';
import { addDays, runDateOf } from '../time/business-day.ts';
import { getNight } from './history.ts';
import type { StepDeps } from './night-reporter.ts';
import { pageNight } from './oncall-paging.ts';
import { measureCoverage } from './postcheck.ts';
import { announceFinishedRuns } from './run-outcomes.ts';

/**
 * A night whose numbers changed after its postcheck (a repair or rerun finished, tasks still
 * running at postcheck time ended) is re-measured and the figure recorded on one postcheck row
 * per night, run_key `<run_date>/remeasure`, updated in place. History and the report both read
 * the night's latest recorded postcheck, so they show the same figure.
 */

export const remeasureKey = (runDate: string) => `${runDate}/remeasure`;

export async function remeasureNight(
  deps: Pick<StepDeps, 'db' | 'config' | 'clock' | 'logger'>,
  params: { runDate: string; triggeredBy: string },
): Promise<CoverageReport> {
  const { runDate, triggeredBy } = params;
  const now = deps.clock();
  // Before the figures, as the postcheck does (recordRun): what the night expected when measured.
  const expectedUnits = await expectedFingerprint(deps.db, runDate);
  const report = await measureCoverage(deps, { runDate, now });
  // A slower, older measurement never overwrites a newer one.
  await recordLatestRun(deps.db, {
    functionName: FUNCTION_NAMES.postcheck,
    runKey: remeasureKey(runDate),
    triggeredBy,
    result: report,
    at: now,
    expectedUnits,
  });
  // A repair or rerun that brought the night to healthy resolves its PagerDuty alert.
  await pageNight(deps, { report, mayTrigger: false });
  return report;
}

/** Re-measures the night and edits its report; a night without a recorded postcheck has neither. */
export async function refreshNight(
  deps: StepDeps,
  params: { runDate: string; triggeredBy: string },
): Promise<'refreshed' | 'no_postcheck'> {
  const { runDate } = params;
  if (!(await nightState(deps.db, runDate)).postchecked) return 'no_postcheck';
  await remeasureNight(deps, params);
  await deps.reporter?.refresh(runDate);
  return 'refreshed';
}

export interface NightState {
  /**
   * A task of the night is live, or a job whose tasks all ended is not closed yet (its worker
   * closes it right after): until then the night's org figure is not final.
   */
  live: boolean;
  /** The night's re-measure is newer than its last task's end: nothing changed since. */
  remeasured: boolean;
  repairLive: boolean;
  postchecked: boolean;
  reported: boolean;
}

export async function nightState(db: Db, runDate: string): Promise<NightState> {
  const row = await queryOne<NightState>(
    db,
    sql`select
          (exists (select 1 from batch_tasks
                   where run_date = ${runDate}::date and ${isLive()})
           or exists (select 1 from batch_jobs j
                      where j.run_date = ${runDate}::date and j.status in ('queued', 'processing')
                        and exists (select 1 from batch_tasks t
                                    where t.batch_job_id = j.id and t.run_date = j.run_date))) as live,
          exists (select 1 from batch_tasks t join batch_jobs j on j.id = t.batch_job_id
                  where t.run_date = ${runDate}::date and j.source = 'repair'
                    and ${isLive('t.status')}) as "repairLive",
          exists (select 1 from scheduler_runs
                  where function_name = ${FUNCTION_NAMES.postcheck} and status = 'completed'
                    and (run_key = ${runDate} or run_key like ${`${runDate}/%`})) as postchecked,
          exists (select 1 from slack_reports where run_date = ${runDate}::date) as reported,
          coalesce((select completed_at from scheduler_runs
                    where function_name = ${FUNCTION_NAMES.postcheck} and run_key = ${remeasureKey(runDate)})
                   >= (select max(completed_at) from batch_tasks where run_date = ${runDate}::date), false)
            as remeasured`,
  );
  return row ?? { live: false, remeasured: false, repairLive: false, postchecked: false, reported: false };
}

/**
 * Follows the nights whose tasks this process finishes (the worker calls `taskFinished`, after
 * closing the task's job): when the last live task of a postchecked night has ended and its job
 * is closed, the night is re-measured and its report edited;
 * while a repair runs, the report's repair line is edited (coalesced by the reporter). One pass
 * per night at a time in this process; finishes that arrive meanwhile run one more pass after it.
 * Whichever worker process ends a night does this, so a deployment of CLI steps and `sched
 * worker` processes, without `serve`, keeps its reports and history current too.
 */
export function followNights(deps: StepDeps) {
  const passes = new Map<string, { again: boolean; done: Promise<void> }>();

  async function pass(runDate: string): Promise<void> {
    const state = await nightState(deps.db, runDate);
    if (state.postchecked) {
      // Two finishes at the very end both see the night over: the second finds it re-measured.
      if (!state.live && !state.remeasured) await refreshNight(deps, { runDate, triggeredBy: 'worker' });
      else if (state.repairLive && state.reported) await deps.reporter?.refresh(runDate);
    }
    // An outcome quotes the figure the report is edited to: only once no unit of the night is live
    // (the night was then just re-measured, above or by another process), never a figure that a
    // run still working would change after the line is posted.
    if (!state.live) await announceFinishedRuns(deps, { runDate });
  }

  function taskFinished(task: { runDate: string }): void {
    const current = passes.get(task.runDate);
    if (current) {
      current.again = true;
      return;
    }
    const entry = { again: true, done: Promise.resolve() };
    entry.done = (async () => {
      while (entry.again) {
        entry.again = false;
        try {
          await pass(task.runDate);
        } catch (error) {
          deps.logger.warn({ err: toError(error), runDate: task.runDate }, 'could not refresh the night');
        }
      }
      passes.delete(task.runDate);
    })();
    passes.set(task.runDate, entry);
  }

  return {
    taskFinished,
    /** Resolves when every pass in flight is done (call before closing the database). */
    async settled(): Promise<void> {
      while (passes.size > 0) await Promise.allSettled([...passes.values()].map((p) => p.done));
    },
  };
}

export type NightFollower = ReturnType<typeof followNights>;

/**
 * The reports Slack has not got: the nights of yesterday and today that were postchecked and have
 * no report message in the report channel (Slack was away, a post failed, or the scheduler left
 * the post to its deliveries) get theirs now. After an outage (`remeasure`) the night is measured
 * afresh, so the message shows today's figures.
 */
export async function postDueReports(
  deps: StepDeps,
  params: { remeasure?: boolean } = {},
): Promise<string[]> {
  const { remeasure = true } = params;
  const channel = deps.config.slack.reportChannel;
  if (!deps.reporter || !channel) return [];
  const today = runDateOf(deps.clock(), deps.config.timezone);
  const posted: string[] = [];
  for (const runDate of [addDays(today, -1), today]) {
    if (!(await reportOwed(deps.db, { runDate, channel }))) continue;
    const report = remeasure
      ? await remeasureNight(deps, { runDate, triggeredBy: 'slack-back' })
      : await getNight(deps.db, runDate);
    if (!report) continue;
    const outcome = await deps.reporter.publish(runDate, report);
    if (outcome.action === 'posted' || outcome.action === 'reposted') posted.push(runDate);
  }
  return posted;
}

/**
 * A postchecked night with no report message in the channel: none recorded, and no post in
 * flight (a claim younger than a poster's time to finish; an older one's poster died).
 */
async function reportOwed(db: Db, params: { runDate: string; channel: string }): Promise<boolean> {
  const { runDate, channel } = params;
  const row = await queryOne<{ owed: boolean }>(
    db,
    sql`select exists (select 1 from scheduler_runs
                       where function_name = ${FUNCTION_NAMES.postcheck} and status = 'completed'
                         and (run_key = ${runDate} or run_key like ${`${runDate}/%`}))
               and not exists (select 1 from slack_reports
                               where run_date = ${runDate}::date and channel = ${channel}
                                 and (ts is not null or claimed_at > now() - interval '60 seconds')) as owed`,
  );
  return row?.owed === true;
}
