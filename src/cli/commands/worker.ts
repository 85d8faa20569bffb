import { withRuntime } from '../../app/runtime.ts';
import { cliStepDeps } from '../../app/step-deps.ts';
import { parseCommandArgs } from '../../args/command-args.ts';
import { usageError } from '../../errors.ts';
import { EXIT } from '../../exit-codes.ts';
import { listProviderSettings, withProviderSettings } from '../../providers/provider-settings.ts';
import { createProviderAdapters } from '../../providers/registry.ts';
import { countLiveTasks, type ParkedTasks, parkedTasks } from '../../queue/live-tasks.ts';
import { watchNight } from '../../scheduler/early-warning.ts';
import { watchLateSteps } from '../../scheduler/late-step-watch.ts';
import { followNights } from '../../scheduler/refresh-night.ts';
import { startWorker, type WorkerSummary } from '../../scheduler/worker.ts';
import type { CliCommand } from '../command.ts';
import { watchDrain } from '../progress-line.ts';

export const formatWorkerSummary = (s: WorkerSummary) =>
  `worker ${s.workerId}: claimed ${s.claimed}, succeeded ${s.succeeded}, failed ${s.failed}, ` +
  `retried ${s.retried}, released ${s.released}${s.lost ? `, lost ${s.lost} (lease expired)` : ''}\n`;

const instant = (at: Date | null) => (at ? at.toISOString().replace(/\.\d{3}Z$/, 'Z') : '?');

/** Why a drain leaves a provider's pending tasks, in one line. */
export function describeParked(p: ParkedTasks): string {
  const tasks = `${p.tasks} task${p.tasks === 1 ? '' : 's'}`;
  const why =
    p.why === 'paused'
      ? `${p.provider} paused until ${instant(p.pausedUntil)} (${p.pauseReason ?? 'no reason given'})`
      : p.why === 'disabled'
        ? `${p.provider} is disabled`
        : `${p.provider} has no adapter in this process (no API key and no SIMULATED_PROFILE)`;
  return `left ${tasks} pending: ${why}`;
}

/**
 * Workers only, no bot and no scheduler: add capacity by starting more of these on any machine
 * that reaches the database. SIGTERM or SIGINT stops claiming, lets calls in flight finish
 * (releasing what does not finish in time) and exits 0. `--drain` waits for paused providers
 * too (a pause ends, a probe follows); `--skip-paused` leaves those paused for auth or quota and
 * says what it left.
 */
export const workerCommand: CliCommand = {
  async run(argv, io) {
    const { values } = parseCommandArgs(argv, {
      drain: { type: 'boolean' },
      'skip-paused': { type: 'boolean' },
    });
    const skipPaused = Boolean(values['skip-paused']);
    if (skipPaused && !values.drain) throw usageError('--skip-paused goes with --drain');
    return withRuntime(io.env, async (rt) => {
      // Keys from this process's environment, models from the providers table.
      const adapters = createProviderAdapters(
        withProviderSettings(rt.config, await listProviderSettings(rt.db)),
      );
      if (adapters.size === 0) {
        io.stderr.write('sched worker: no provider is enabled (set an API key or SIMULATED_PROFILE)\n');
      }
      const query = { providers: [...adapters.keys()], skipPaused };
      if (values.drain && !skipPaused) {
        for (const p of await parkedTasks(rt.db, { ...query, skipPaused: true })) {
          if (p.why === 'paused') {
            io.stderr.write(
              `sched worker: waiting for ${p.tasks} ${p.provider} task${p.tasks === 1 ? '' : 's'}: ` +
                `paused until ${instant(p.pausedUntil)} (${p.pauseReason ?? 'no reason given'}); ` +
                '--skip-paused leaves them pending\n',
            );
          }
        }
      }
      const drain = values.drain
        ? await watchDrain({
            stream: io.stderr,
            countLive: async () => (await countLiveTasks(rt.db, query)).live,
          })
        : undefined;
      // The worker that ends a postchecked night re-measures it and edits its report.
      const steps = await cliStepDeps(rt);
      const nights = followNights(steps);
      // A long-running worker is a live instance too: it raises tonight's late-step alert.
      const watchdog = values.drain ? undefined : watchLateSteps(steps);
      const nightWatch = values.drain ? undefined : watchNight(steps);
      const worker = startWorker(rt, {
        adapters,
        concurrency: rt.config.worker.concurrency,
        drain: Boolean(values.drain),
        skipPaused,
        onTaskFinished: nights.taskFinished,
      });
      const onSignal = () => {
        void worker.stop();
      };
      process.once('SIGTERM', onSignal);
      process.once('SIGINT', onSignal);
      try {
        const summary = await worker.done;
        // The progress ends first, on the final count, then what was left, then the summary.
        await drain?.stop();
        if (values.drain) {
          for (const p of await parkedTasks(rt.db, query))
            io.stderr.write(`sched worker: ${describeParked(p)}\n`);
        }
        await nights.settled();
        io.stdout.write(formatWorkerSummary(summary));
      } finally {
        await watchdog?.stop();
        await nightWatch?.stop();
        await drain?.stop();
        process.off('SIGTERM', onSignal);
        process.off('SIGINT', onSignal);
      }
      return EXIT.ok;
    });
  },
};
