import { listProviderSettings, withProviderSettings } from '../../providers/provider-settings.ts';
import { createProviderAdapters } from '../../providers/registry.ts';
import { countLiveTasks } from '../../scheduler/live-tasks.ts';
import { startWorker, type WorkerSummary } from '../../scheduler/worker.ts';
import type { CliCommand } from '../command.ts';
import { parseCommandArgs } from '../command.ts';
import { watchDrain } from '../progress.ts';
import { withRuntime } from '../runtime.ts';

export const formatWorkerSummary = (s: WorkerSummary) =>
  `worker ${s.workerId}: claimed ${s.claimed}, succeeded ${s.succeeded}, failed ${s.failed}, ` +
  `retried ${s.retried}, released ${s.released}${s.lost ? `, lost ${s.lost} (lease expired)` : ''}\n`;

/**
 * Workers only, no bot and no scheduler: add capacity by starting more of these on any machine
 * that reaches the database. SIGTERM or SIGINT stops claiming, lets calls in flight finish
 * (releasing what does not finish in time) and exits 0.
 */
export const workerCommand: CliCommand = {
  name: 'worker',
  summary: 'run workers only (start more for more capacity); --drain exits once no live task remains',
  usage: 'sched worker [--drain]',
  async run(argv, io) {
    const { values } = parseCommandArgs(argv, { drain: { type: 'boolean' } });
    return withRuntime(io.env, async (rt) => {
      // Keys from this process's environment, models from the providers table.
      const adapters = createProviderAdapters(
        withProviderSettings(rt.config, await listProviderSettings(rt.db)),
      );
      if (adapters.size === 0) {
        io.stderr.write('sched worker: no provider is enabled (set an API key or SIMULATED_PROFILE)\n');
      }
      const worker = startWorker(rt, {
        adapters,
        concurrency: rt.config.worker.concurrency,
        drain: Boolean(values.drain),
      });
      const drain = values.drain
        ? watchDrain({
            stream: io.stderr,
            countLive: async () =>
              (await countLiveTasks(rt.db, { providers: [...adapters.keys()], now: rt.clock() })).live,
          })
        : undefined;
      const onSignal = () => {
        void worker.stop();
      };
      process.once('SIGTERM', onSignal);
      process.once('SIGINT', onSignal);
      try {
        io.stdout.write(formatWorkerSummary(await worker.done));
      } finally {
        drain?.stop();
        process.off('SIGTERM', onSignal);
        process.off('SIGINT', onSignal);
      }
      return 0;
    });
  },
};
