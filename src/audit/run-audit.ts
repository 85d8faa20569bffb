import type { Deps } from '../context.ts';
import type { CoverageReport } from '../coverage/types.ts';
import { nightPrunedAt } from '../queue/night-spans.ts';
import { countDrift } from '../queue/task-counts.ts';
import { measureCoverage } from '../scheduler/postcheck.ts';
import { LATE_NIGHT_WAIT_MINUTES } from '../scheduler/postcheck-wait.ts';
import { installedAt } from '../store/installation.ts';
import { FUNCTION_NAMES, findRun, STALE_RUN_MINUTES } from '../store/scheduler-runs.ts';
import { addDays, runDateOf } from '../time/business-day.ts';
import { lastFireOnRunDate, secondsBetweenFires } from '../time/cron-matcher.ts';
import * as q from './audit-queries.ts';
import { fixAudit } from './fix-audit.ts';
import {
  type AuditCheck,
  type AuditNote,
  type AuditResult,
  type AuditViolation,
  ROWS_SHOWN,
} from './types.ts';

/**
 * `sched audit`: checks the books of the nights in `runDates` against the invariants the system
 * promises and lists every violation with its rows and what to do. Read-only
 * unless `fix` is set; then it repairs what is safe (fix-audit.ts) and audits again, so the
 * answer shows what is left.
 */

export interface AuditParams {
  runDates: string[];
  fix?: boolean;
}

/** The postcheck may wait for a late night before it measures. */
const POSTCHECK_LIMIT_MINUTES = STALE_RUN_MINUTES + LATE_NIGHT_WAIT_MINUTES;

/** The longest each step may stay `running`. */
export const STEP_LIMIT_MINUTES: Record<string, number> = {
  [FUNCTION_NAMES.trigger]: STALE_RUN_MINUTES,
  [FUNCTION_NAMES.postcheck]: POSTCHECK_LIMIT_MINUTES,
  [FUNCTION_NAMES.reconciler]: STALE_RUN_MINUTES,
};

type AuditDeps = Pick<Deps, 'db' | 'config' | 'clock'>;

export async function runAudit(deps: AuditDeps, params: AuditParams): Promise<AuditResult> {
  const fixed = params.fix
    ? await fixAudit(deps, { runDates: params.runDates, stepLimits: STEP_LIMIT_MINUTES })
    : [];
  const { violations, notes } = await collect(deps, params.runDates);
  return {
    runDates: params.runDates,
    checkedAt: deps.clock().toISOString(),
    ok: violations.length === 0,
    violations,
    notes,
    fixed,
  };
}

/** The gap between two reconciler ticks: a lease may be that late before someone should have returned it. */
export function reconcilerIntervalSeconds(deps: Pick<Deps, 'config' | 'clock'>): number {
  return Math.max(60, secondsBetweenFires(deps.config.cron.reconciler, deps.clock(), deps.config.timezone));
}

async function collect(deps: AuditDeps, runDates: string[]) {
  const violations: AuditViolation[] = [];
  const notes: AuditNote[] = [];
  const grace = reconcilerIntervalSeconds(deps);
  const add = (
    check: AuditCheck,
    runDate: string | null,
    finding: q.Finding,
    words: { message: string; advice: string; fixable?: boolean },
  ) => {
    if (finding.count > 0) {
      violations.push({ check, runDate, ...finding, fixable: false, ...words });
    }
  };

  const today = runDateOf(deps.clock(), deps.config.timezone);
  const { backfillDays } = deps.config;
  const oldest = addDays(today, -backfillDays);
  const overdue = await q.overdueLeases(deps.db, grace);
  add('lease_overdue', null, overdue, {
    message: `${overdue.count} task(s) still processing more than ${Math.round(grace / 60)} min past their lease: no worker or reconciler returned them`,
    advice:
      'start a worker (`sched worker`) or run `sched reconcile`; `sched audit --fix` returns them to the queue',
    fixable: true,
  });
  const old = await q.liveTasksTooOld(deps.db, oldest);
  add('live_task_too_old', null, old, {
    message: `${old.count} live task(s) belong to a night older than ${backfillDays} days (before ${oldest})`,
    advice:
      'these nights are outside the backfill window; let the workers finish them or cancel them by hand',
  });
  const disabled = await q.liveTasksOfDisabledProviders(deps.db);
  add('live_task_provider_disabled', null, disabled, {
    message: `${disabled.count} live task(s) belong to a disabled provider: no worker will run them and their jobs never close`,
    advice:
      '`sched providers set <provider> --disable` again cancels them (or `--enable` if the provider should run)',
  });
  const stuck = await q.stuckRuns(deps.db, {
    limits: STEP_LIMIT_MINUTES,
    fallbackMinutes: STALE_RUN_MINUTES,
  });
  add('run_stuck', null, stuck, {
    message: `${stuck.count} scheduler_runs row(s) still running past the step's expected duration: the process that ran them died`,
    advice:
      '`sched audit --fix` marks them failed with a reason, so the catch-up (or the next call) runs the step again',
    fixable: true,
  });

  for (const runDate of runDates) {
    const prunedAt = await nightPrunedAt(deps.db, runDate);
    if (prunedAt) {
      // Its tasks and jobs are gone on purpose: checking them would report every unit missing.
      notes.push({
        check: 'night_pruned',
        runDate,
        message: `the details of ${runDate} were removed by retention on ${prunedAt.toISOString().slice(0, 10)}: its figures stand as recorded, its queue is not checked`,
      });
      continue;
    }
    await auditNight(deps, runDate, grace, { add, notes });
  }
  return { violations, notes };
}

interface Sink {
  add: (
    check: AuditCheck,
    runDate: string | null,
    finding: q.Finding,
    words: { message: string; advice: string; fixable?: boolean },
  ) => void;
  notes: AuditNote[];
}

async function auditNight(deps: AuditDeps, runDate: string, grace: number, sink: Sink): Promise<void> {
  const { db, config } = deps;
  const now = deps.clock();
  const { add } = sink;
  const trigger = await findRun(db, { functionName: FUNCTION_NAMES.trigger, runKey: runDate });
  const triggerDue = lastFireOnRunDate(config.cron.trigger, runDate, now, config.timezone);

  if (trigger?.status === 'completed') {
    const changes = await q.expectedChanges(db, { runId: trigger.id, runDate });
    if (changes && changes.length > 0) {
      sink.notes.push({
        check: 'unit_without_task',
        runDate,
        message: `what the night of ${runDate} expects changed after its trigger for ${changes.length} org(s): ${describeChanges(changes)}; their units are not held to the trigger's snapshot (Repair runs the new ones)`,
      });
    }
    const noTask = await q.unitsWithoutTask(db, {
      runDate,
      triggeredAt: new Date(trigger.started_at),
      changedOrgs: changes?.map((c) => c.org_id),
    });
    add('unit_without_task', runDate, noTask, {
      message: `${noTask.count} expected unit(s) of ${runDate} have no task, though the trigger ran`,
      advice: `\`sched postcheck --repair --date ${runDate}\` enqueues exactly the missing units`,
    });
  } else if (
    triggerDue &&
    // A night due before the database was set up was never owed to it.
    triggerDue.getTime() >= (await installedAt(db)).getTime() &&
    (await q.expectedUnitCount(db, runDate)) > 0
  ) {
    const why = trigger
      ? `its trigger row is ${trigger.status}${trigger.error ? `: ${trigger.error}` : ''}`
      : 'no trigger row';
    add(
      'night_not_triggered',
      runDate,
      {
        count: 1,
        rows: [
          { run_date: runDate, trigger_due: triggerDue.toISOString(), trigger_run_id: trigger?.id ?? null },
        ],
      },
      {
        message: `the night of ${runDate} was due at ${triggerDue.toISOString()} but was never triggered (${why})`,
        advice: `\`sched trigger --date ${runDate}\` runs it now (within the backfill window)`,
      },
    );
  }

  const twice = await q.nightlyJobsTwice(db, runDate);
  add('nightly_twice', runDate, twice, {
    message: `${twice.count} org(s) have more than one nightly job on ${runDate}: the night ran twice`,
    advice: 'the unique run key should prevent this; keep the rows for inspection and report it as a bug',
  });
  const dup = await q.duplicateSuccesses(db, runDate);
  add('duplicate_success', runDate, dup, {
    message: `${dup.count} unit(s) of ${runDate} have a second successful response that no run asked for (unasked_response_ids says which)`,
    advice:
      'coverage counts each unit once (its newest success is its answer), so the figures hold; only a manual run, an --all rerun or an "every unit" repair asks for fresh answers, so report this one as a bug (responses are never deleted)',
  });
  const orphans = await q.responsesWithoutTask(db, runDate);
  add('response_without_task', runDate, orphans, {
    message: `${orphans.count} response(s) of ${runDate} have no task, or a task for another unit`,
    advice: 'something other than a worker wrote them (a script, a restore); check where they came from',
  });
  const attempts = await q.attemptsOverMax(db, runDate);
  add('attempts_over_max', runDate, attempts, {
    message: `${attempts.count} task(s) of ${runDate} used more attempts than their maximum`,
    advice: 'a retry escaped its limit; report it as a bug with these task ids',
  });
  const counts = await q.jobCountsWrong(db, runDate);
  add('job_counts_wrong', runDate, counts, {
    message: `${counts.count} job(s) of ${runDate} have counters that disagree with their tasks`,
    advice: '`sched audit --fix` recomputes them from the tasks',
    fixable: true,
  });
  // The live night's figures are read from these counts: they must be the tasks' own.
  const drift = await countDrift(db, [runDate]);
  add(
    'task_counts_wrong',
    runDate,
    { count: drift.length, rows: drift.slice(0, ROWS_SHOWN).map((d) => ({ ...d })) },
    {
      message: `${drift.length} (org, provider, status) count(s) of ${runDate} disagree with its tasks: live figures read from them are off`,
      advice:
        'every write to batch_tasks should go through its statement triggers (0018_task_counts); report it as a bug with these rows',
    },
  );
  const closedLive = await q.jobsClosedWithLiveTasks(db, runDate);
  add('job_closed_with_live_tasks', runDate, closedLive, {
    message: `${closedLive.count} job(s) of ${runDate} are closed while some of their tasks are still live`,
    advice: '`sched audit --fix` reopens them; the reconciler closes them again when their tasks end',
    fixable: true,
  });
  const open = await q.jobsNotClosed(db, { runDate, graceSeconds: grace });
  add('job_not_closed', runDate, open, {
    message: `${open.count} job(s) of ${runDate} are still open although all their tasks ended`,
    advice: '`sched reconcile` or `sched audit --fix` closes them',
    fixable: true,
  });

  if (trigger?.status !== 'completed') return;
  const latest = await q.latestPostcheck(db, runDate);
  const postcheckFire = lastFireOnRunDate(config.cron.postcheck, runDate, now, config.timezone);
  // A late trigger moves the postcheck after it (the catch-up runs it once the night is in).
  const postcheckDue =
    postcheckFire &&
    new Date(
      Math.max(postcheckFire.getTime(), new Date(trigger.completed_at ?? trigger.started_at).getTime()),
    );
  if (!latest && postcheckDue && now.getTime() - postcheckDue.getTime() > POSTCHECK_LIMIT_MINUTES * 60_000) {
    add(
      'postcheck_missing',
      runDate,
      { count: 1, rows: [{ run_date: runDate, postcheck_due: postcheckDue.toISOString() }] },
      {
        message: `the postcheck of ${runDate} was due at ${postcheckDue.toISOString()} and never ran: no morning report`,
        advice: `\`sched postcheck --date ${runDate}\` measures, records and reports it`,
      },
    );
  }
  if (!latest) return;
  await comparePostcheck(deps, runDate, latest, sink);
  const channel = config.slack.reportChannel;
  if (!channel || !config.slack.botToken) return;
  const report = await q.recordedReport(db, { runDate, channel });
  const recordedAgoMs = now.getTime() - new Date(latest.completed_at ?? latest.started_at).getTime();
  if (!report?.ts && recordedAgoMs < REPORT_DELIVERY_GRACE_MS) {
    // The step records first and delivers after; a post Slack refused goes out on a later tick.
    sink.notes.push({
      check: 'report_not_recorded',
      runDate,
      message: `the morning report of ${runDate} is not posted yet: its delivery is pending (the postcheck ran ${Math.round(recordedAgoMs / 1000)} s ago)`,
    });
    return;
  }
  if (!report?.ts) {
    add(
      'report_not_recorded',
      runDate,
      { count: 1, rows: [{ run_date: runDate, channel, postcheck_run_id: latest.id }] },
      {
        message: `the postcheck of ${runDate} ran but no morning report is recorded for channel ${channel}`,
        advice: `\`sched postcheck --date ${runDate}\` posts it (Slack must be reachable)`,
      },
    );
    return;
  }
  // The message shows the latest recorded figures once it was edited after they were recorded.
  const recordedAt = new Date(latest.completed_at ?? latest.started_at).getTime();
  const lastEdit = new Date(report.edited_at ?? report.posted_at).getTime();
  if (report.refresh_overdue || lastEdit + REPORT_EDIT_SLACK_MS < recordedAt) {
    add(
      'report_stale',
      runDate,
      {
        count: 1,
        rows: [
          {
            run_date: runDate,
            channel,
            ts: report.ts,
            last_edit: new Date(lastEdit).toISOString(),
            figures_recorded: new Date(recordedAt).toISOString(),
            postcheck_run_id: latest.id,
          },
        ],
      },
      {
        message: `the morning report of ${runDate} was last edited at ${new Date(lastEdit).toISOString()}, before its latest figures (${new Date(recordedAt).toISOString()}): it shows old numbers`,
        advice: `\`sched postcheck --date ${runDate}\` measures again and edits the message`,
      },
    );
  }
}

/** A report's delivery is retried by the next ticks: missing for this long after its postcheck is pending. */
const REPORT_DELIVERY_GRACE_MS = 10 * 60_000;

/** Clocks of two machines may differ a little: an edit this close to the figures counts as after them. */
const REPORT_EDIT_SLACK_MS = 60_000;

/** The postcheck's recorded figures against a fresh measurement; a night that changed since is a note. */
async function comparePostcheck(deps: AuditDeps, runDate: string, run: q.StepRun, sink: Sink): Promise<void> {
  const recorded = run.result as Partial<CoverageReport> | null;
  const fresh = await measureCoverage(deps, { runDate });
  const figures = (r: Partial<CoverageReport> | null) => ({
    prompts: `${r?.promptCoverage?.promptsRunToday}/${r?.promptCoverage?.expectedActivePrompts}`,
    orgs: `${r?.orgCoverage?.found}/${r?.orgCoverage?.expected}`,
    health: r?.summary?.overallHealth,
  });
  const then = figures(recorded);
  const nowFigures = figures(fresh);
  const same =
    then.prompts === nowFigures.prompts && then.orgs === nowFigures.orgs && then.health === nowFigures.health;
  if (same) return;
  const checkedAt = new Date(run.completed_at ?? run.started_at);
  const changed = await q.lastNightChange(deps.db, runDate);
  const describe = (f: typeof then) => `prompts ${f.prompts}, orgs ${f.orgs}, ${f.health}`;
  const expectedNow = (r: Partial<CoverageReport> | null) =>
    `${r?.promptCoverage?.expectedActivePrompts}/${r?.orgCoverage?.expected}`;
  // Recorded with a fingerprint of what the night expected: compared unit set by unit set, so a
  // prompt swapped for another (the same count) is seen, and an unchanged night stays strict.
  const changes = await q.expectedChanges(deps.db, { runId: run.id, runDate });
  if (changes && changes.length > 0) {
    sink.notes.push({
      check: 'postcheck_figures_differ',
      runDate,
      message: `what the night of ${runDate} expects changed after its postcheck for ${changes.length} org(s): ${describeChanges(changes)}; recorded ${describe(then)}, now ${describe(nowFigures)}`,
    });
    return;
  }
  // Recorded before the fingerprint: only a changed count of what is expected can tell.
  if (!changes && expectedNow(recorded) !== expectedNow(fresh)) {
    // A prompt, org, plan or provider changed since: a closed night keeps the figures it was
    // measured with, and a fresh measure of what is expected now is not a fault of the books.
    sink.notes.push({
      check: 'postcheck_figures_differ',
      runDate,
      message: `what the night of ${runDate} expects changed after its postcheck (a prompt, org, plan or provider): recorded ${describe(then)}, now ${describe(nowFigures)}`,
    });
    return;
  }
  if (changed && changed.getTime() > checkedAt.getTime()) {
    sink.notes.push({
      check: 'postcheck_figures_differ',
      runDate,
      message: `the night of ${runDate} changed at ${changed.toISOString()}, after its postcheck (${checkedAt.toISOString()}): recorded ${describe(then)}, now ${describe(nowFigures)}`,
    });
    return;
  }
  sink.add(
    'postcheck_figures_differ',
    runDate,
    {
      count: 1,
      rows: [
        {
          run_date: runDate,
          postcheck_run_id: run.id,
          recorded: describe(then),
          measured: describe(nowFigures),
        },
      ],
    },
    {
      message: `the postcheck of ${runDate} recorded ${describe(then)} but the night measures ${describe(nowFigures)} now, and none of its tasks or responses changed since`,
      advice: `if orgs, prompts or providers changed since, that explains it; otherwise the recorded figures cannot be trusted: run \`sched postcheck --date ${runDate}\` again and report it`,
    },
  );
}

/** One line per org that changed: "Acme (prompts 25 -> 100, providers openai,perplexity -> ...)". */
function describeChanges(changes: q.ExpectedChange[]): string {
  const shown = changes.slice(0, ROWS_SHOWN).map((c) => {
    const parts: string[] = [];
    if (c.prompts_then !== c.prompts_now) parts.push(`prompts ${c.prompts_then} -> ${c.prompts_now}`);
    else if (!c.same_prompts) parts.push(`${c.prompts_now} prompts, not the same ones`);
    if (c.providers_then !== c.providers_now)
      parts.push(`providers ${c.providers_then ?? 'none'} -> ${c.providers_now ?? 'none'}`);
    return `${c.org ?? c.org_id} (${parts.join(', ')})`;
  });
  const more = changes.length > ROWS_SHOWN ? ` and ${changes.length - ROWS_SHOWN} more` : '';
  return `${shown.join('; ')}${more}`;
}
