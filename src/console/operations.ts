import { setTimeout as sleep } from 'node:timers/promises';
import { DateTime } from 'luxon';
import { parseCommandArgs, runDateOption } from '../args/command-args.ts';
import { hasScopeFlags, SCOPE_FLAG_OPTIONS, scopeFromFlags } from '../args/scope-flags.ts';
import { figuresText } from '../blocks/coverage-summary.ts';
import { formatDuration } from '../blocks/format.ts';
import { capitalize, projectionWords } from '../blocks/projection-words.ts';
import { formatCoverageReport } from '../blocks/text-report.ts';
import { usageError } from '../errors.ts';
import type { ProviderName } from '../providers/types.ts';
import { countLiveTasks } from '../queue/live-tasks.ts';
import { describeScope, type RunScope } from '../queue/run-scope.ts';
import { lookAtNight } from '../scheduler/early-warning.ts';
import { runManualDaily } from '../scheduler/manual-run.ts';
import type { NightProjection } from '../scheduler/night-projection.ts';
import type { StepDeps } from '../scheduler/night-reporter.ts';
import { measureCoverage } from '../scheduler/postcheck.ts';
import { describePublished, postcheckStep } from '../scheduler/postcheck-step.ts';
import { measureProgress, type Progress } from '../scheduler/progress.ts';
import { runReconciler } from '../scheduler/reconciler.ts';
import type { AdHocFanOutResult } from '../scheduler/recorded-enqueue.ts';
import { repairMissing } from '../scheduler/repair.ts';
import { runTrigger, type TriggerResult } from '../scheduler/trigger.ts';

/**
 * The CLI operations inside the local console (`trigger`, `postcheck`, `night` ...). They call
 * the same services as `sched <command>` and the cron endpoints; `night` chains them so a
 * newcomer watches a whole night, with its morning report, in about a minute.
 */

/** `reporter` posts or edits the morning report in the (local) report channel. */
export interface OperationDeps extends StepDeps {
  /** Aborted when the console closes: a waiting `night` stops waiting. */
  signal: AbortSignal;
  /** The providers this process's workers run: `night` stops waiting for tasks nobody can run. */
  providers: readonly ProviderName[];
}

export interface Operation {
  usage: string;
  summary: string;
  run(args: string[], print: (text: string) => void): Promise<void>;
}

const TRIGGERED_BY = 'console';

const perProvider = (byProvider: Record<string, number>) =>
  Object.entries(byProvider)
    .map(([provider, n]) => `${provider} ${n}`)
    .join(', ');

export function describeTrigger(result: TriggerResult, zone: string): string {
  if (result.status === 'triggered') {
    return `night ${result.runDate} triggered: ${result.tasks} tasks for ${result.orgs} orgs (${perProvider(result.byProvider)})`;
  }
  if (result.status === 'nothing_enqueued') {
    return `⚠️ night ${result.runDate} enqueued nothing: ${result.reason.message}; the night is not done, trigger again once a provider is enabled`;
  }
  const at = DateTime.fromJSDate(result.at, { zone }).toFormat('HH:mm');
  return `night ${result.runDate} was already triggered by ${result.triggeredBy} at ${at} ${zone} (${result.runStatus})`;
}

const describeFanOut = (what: string, r: AdHocFanOutResult) =>
  r.tasks === 0
    ? `${what} ${r.runDate}: nothing to enqueue (run ${r.runId})`
    : `${what} ${r.runDate}: ${r.tasks} tasks for ${r.orgs} orgs enqueued (${perProvider(r.byProvider)}; run ${r.runId})`;

export function describeProgress(
  p: Progress,
  now: Date,
  projection?: { projection: NightProjection; zone: string } | undefined,
): string {
  const percent = p.total ? Math.floor((p.done / p.total) * 100) : 100;
  const projected =
    projection &&
    projectionWords(projection.projection, (d) =>
      DateTime.fromJSDate(d, { zone: projection.zone }).toFormat('HH:mm ZZZZ'),
    );
  const seconds = p.estimatedFinish
    ? Math.max(1, Math.round((p.estimatedFinish.getTime() - now.getTime()) / 1000))
    : 0;
  // The projection (per provider, with its limits) replaces the night-wide ETA when there is one.
  const eta = p.estimatedFinish && !projected ? `, done in about ${formatDuration(seconds * 1000)}` : '';
  const line = `  ${p.done}/${p.total} tasks done (${percent}%): ${p.completed} ok, ${p.failed} failed, ${p.processing} running, ${p.pending} waiting; ${p.ratePerMinute.toFixed(0)}/min${eta} (provisional)`;
  return projected ? `${line}\n  ${capitalize(projected)}` : line;
}

/** Waits `ms`, or less when the user interrupts: an interrupt ends the wait, not the operation. */
const pause = (ms: number, signal: AbortSignal) => sleep(ms, undefined, { signal }).catch(() => {});

/** A stalled night (a provider waiting out its rate limit) still says so now and then. */
const QUIET_POLLS = 5;

export function consoleOperations(deps: OperationDeps): Record<string, Operation> {
  const dateOf = (args: string[]) => {
    const { values } = parseCommandArgs(args, { date: { type: 'string' }, repair: { type: 'boolean' } });
    if (values.repair) throw usageError('--repair only goes with postcheck');
    return { runDate: runDateOption(values.date, deps.clock(), deps.config.timezone) };
  };
  /** `repair` and `postcheck --repair`: the date and the scope flags of `sched` (scope-flags.ts). */
  const repairArgs = (args: string[], command: 'postcheck' | 'repair') => {
    const { values } = parseCommandArgs(args, {
      date: { type: 'string' },
      repair: { type: 'boolean' },
      ...SCOPE_FLAG_OPTIONS,
    });
    if (command === 'repair' && values.repair) throw usageError('--repair only goes with postcheck');
    const repair = command === 'repair' || values.repair === true;
    if (!repair && hasScopeFlags(values)) throw usageError('--failed, --all and --provider go with --repair');
    return {
      runDate: runDateOption(values.date, deps.clock(), deps.config.timezone),
      repair,
      scope: scopeFromFlags(values),
    };
  };

  /** The postcheck step (postcheck-step.ts): record, repair when asked or AUTO_REPAIR, post or edit the report. */
  async function postcheck(
    runDate: string,
    print: (text: string) => void,
    repair = false,
    repairScope: RunScope | undefined = undefined,
  ) {
    const result = await postcheckStep(deps, { runDate, triggeredBy: TRIGGERED_BY, repair, repairScope });
    print(
      `postcheck ${runDate} recorded (run ${result.runId}): ${result.report.summary.overallHealth}, ${figuresText(result.report)}`,
    );
    if (result.repair) print(describeFanOut(repair ? 'repair' : 'auto-repair', result.repair));
    // A report that was gone (a console restart empties the local Slack) is posted afresh: say so.
    if (result.published?.action === 'reposted' || result.published?.action === 'failed') {
      print(String(describePublished(result.published)));
    }
    return result;
  }

  const trigger = async (runDate: string, print: (text: string) => void) =>
    print(
      describeTrigger(
        await runTrigger(deps, { runDate, triggeredBy: TRIGGERED_BY, scheduled: true }),
        deps.config.timezone,
      ),
    );

  /** Prints progress until no task of the night is left that a worker of this process can run. */
  async function waitForNight(runDate: string, print: (text: string) => void): Promise<void> {
    let last = '';
    let quiet = 0;
    while (!deps.signal.aborted) {
      const now = deps.clock();
      const progress = await measureProgress(deps.db, { runDate, now });
      // The night watch looks as often as the progress line: a one-minute demo night needs it.
      const { projection } = await lookAtNight(deps, { now });
      const state = `${progress.done}/${progress.live}`;
      if (state !== last || ++quiet >= QUIET_POLLS) {
        print(describeProgress(progress, now, projection && { projection, zone: deps.config.timezone }));
        quiet = 0;
      }
      last = state;
      if (progress.live === 0) return;
      // Tasks of a provider paused for its credentials wait for a person, not for the night.
      if ((await countLiveTasks(deps.db, { providers: deps.providers, skipPaused: true })).live === 0) return;
      await pause(2_000, deps.signal);
    }
  }

  return {
    night: {
      usage: 'night [--date YYYY-MM-DD]',
      summary: "tonight's whole run now: trigger, workers, reconcile, postcheck and the morning report",
      async run(args, print) {
        const { runDate } = dateOf(args);
        await trigger(runDate, print);
        await waitForNight(runDate, print);
        if (deps.signal.aborted) return;
        const reconciled = await runReconciler(deps, { triggeredBy: TRIGGERED_BY });
        print(`reconciled: ${reconciled.jobsCompleted} org jobs closed`);
        await postcheck(runDate, print);
      },
    },
    trigger: {
      usage: 'trigger [--date YYYY-MM-DD]',
      summary: "snapshot the night's expected units into tasks (once per date)",
      async run(args, print) {
        await trigger(dateOf(args).runDate, print);
      },
    },
    reconcile: {
      usage: 'reconcile',
      summary: 'requeue tasks of dead workers, close finished org jobs',
      async run(args, print) {
        parseCommandArgs(args, {});
        const r = await runReconciler(deps, { triggeredBy: TRIGGERED_BY });
        print(
          `reconciled: ${r.requeued} requeued, ${r.failed} failed (no attempt left), ${r.jobsStarted} jobs started, ${r.jobsCompleted} closed`,
        );
      },
    },
    postcheck: {
      usage: 'postcheck [--date YYYY-MM-DD] [--repair [--failed | --all] [--provider P]]',
      summary: 'measure and record coverage, post or update the morning report',
      async run(args, print) {
        const { runDate, repair, scope } = repairArgs(args, 'postcheck');
        await postcheck(runDate, print, repair, repair ? scope : undefined);
      },
    },
    repair: {
      usage: 'repair [--date YYYY-MM-DD] [--failed | --all] [--provider P]',
      summary: 'enqueue the missing units (--failed: only failed ones; --all: every unit; --provider: one)',
      async run(args, print) {
        const { runDate, scope } = repairArgs(args, 'repair');
        const result = await repairMissing(deps, { runDate, triggeredBy: TRIGGERED_BY, scope });
        print(`${describeFanOut('repair', result)} [${describeScope(scope)}]`);
      },
    },
    'manual-run': {
      usage: 'manual-run [--date YYYY-MM-DD]',
      summary: 'run every expected unit again (what POST /functions/v1/manual-daily-run does)',
      async run(args, print) {
        const { runDate } = dateOf(args);
        print(
          describeFanOut('manual run', await runManualDaily(deps, { runDate, triggeredBy: TRIGGERED_BY })),
        );
      },
    },
    status: {
      usage: 'status [--date YYYY-MM-DD]',
      summary: 'coverage as the CLI prints it (nothing recorded)',
      async run(args, print) {
        const { runDate } = dateOf(args);
        const report = await measureCoverage(deps, { runDate });
        print(formatCoverageReport(report, { maxPrompts: 20 }).trimEnd());
      },
    },
  };
}
