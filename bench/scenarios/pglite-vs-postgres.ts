import { runTrigger } from '../../src/scheduler/trigger.ts';
import { startWorker } from '../../src/scheduler/worker.ts';
import type { BenchContext, Scenario } from '../context.ts';
import { type BenchDb, daysBefore, openPgliteBench, openPostgresBench, seedUnits } from '../databases.ts';
import { fmt, interleave, median, timed } from '../measure.ts';
import { instantAdapters } from '../queue-child.ts';

/**
 * The embedded database against the server for one whole night in one process, as `npm start`
 * runs it: the trigger, then one worker at c=32 with instant simulated providers until it drains.
 * The ratio is PGlite's time over PostgreSQL's.
 */

async function night(bench: BenchDb, runDate: string): Promise<number> {
  const { ms } = await timed(async () => {
    await runTrigger(bench.deps, { runDate, triggeredBy: 'bench', scheduled: false });
    const worker = startWorker(bench.deps, { adapters: instantAdapters(), concurrency: 32, drain: true });
    const summary = await worker.done;
    if (summary.failed > 0) throw new Error(`${runDate}: ${summary.failed} tasks failed`);
  });
  return ms;
}

export const pgliteVsPostgres: Scenario = {
  name: 'pglite-vs-postgres',
  summary: 'one whole night (trigger + drain) on PGlite against the same on PostgreSQL',
  async run(ctx: BenchContext) {
    const { tasks, runs } = ctx.sizes.pgliteVsPostgres;
    const server = await openPostgresBench('pglite_vs_pg');
    const embedded = await openPgliteBench();
    try {
      await seedUnits(server.db, tasks);
      await seedUnits(embedded.db, tasks);
      const times = await interleave(runs, {
        postgres: (round) => night(server, daysBefore(server.config, round + 1)),
        pglite: (round) => night(embedded, daysBefore(embedded.config, round + 1)),
      });
      const postgres = median(times.postgres);
      const pglite = median(times.pglite);
      ctx.emit({
        scenario: 'pglite-vs-pg',
        backend: 'pglite',
        case: `whole night of ${fmt.count(tasks)} tasks, c=32, one process`,
        product: fmt.duration(pglite),
        productValue: pglite,
        reference: `PostgreSQL ${fmt.duration(postgres)}`,
        referenceValue: postgres,
        ratio: pglite / postgres,
        ratioMeaning:
          'pglite-vs-pg: night on PGlite / the same night on PostgreSQL (above 1: PGlite is slower)',
        note: `median of ${times.pglite.length}; ${fmt.perSecond((tasks * 1000) / pglite)} vs ${fmt.perSecond((tasks * 1000) / postgres)}`,
        samples: { product: times.pglite, reference: times.postgres },
      });
    } finally {
      await embedded.close();
      await server.close();
    }
  },
};
