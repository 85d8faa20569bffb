import { sql } from 'drizzle-orm';
import { measureCoverage, runPostcheck } from '../../src/scheduler/postcheck.ts';
import { measureProgress } from '../../src/scheduler/progress.ts';
import type { BenchContext, Scenario } from '../context.ts';
import type { HistoryDb } from '../history.ts';
import { fmt, interleave, median, timed } from '../measure.ts';

/**
 * Last night's postcheck (measured and recorded, as at 04:00) and `status` (what the command
 * computes: coverage, and progress while tasks are live) on a database holding nights of
 * history, beside a plain hash aggregate of the same night's counts: tasks by (org, provider,
 * status) and successful responses by (org, provider). Process start-up is apart (cli-start).
 */

const GOAL_MS = 200;

async function status(history: HistoryDb): Promise<void> {
  const now = new Date();
  const options = history.config;
  const report = await measureCoverage(
    { db: history.db, config: options, clock: () => now },
    { runDate: history.lastNight, now },
  );
  if (report.tasks.pending + report.tasks.processing > 0)
    await measureProgress(history.db, { runDate: history.lastNight, now });
}

const plainCounts = (runDate: string) => sql`
  select 'tasks' as what, org_id, provider, status, count(*) as n
  from batch_tasks where run_date = ${runDate}::date group by org_id, provider, status
  union all
  select 'success', org_id, provider, status, count(*)
  from prompt_provider_responses where run_date = ${runDate}::date and status = 'success'
  group by org_id, provider, status`;

async function onBackend(ctx: BenchContext, backend: HistoryDb['kind']): Promise<void> {
  const history = await ctx.history(backend);
  const { lastNight } = history;
  const options = history.config;
  const times = await interleave(ctx.sizes.history.runs, {
    postcheck: async () =>
      (
        await timed(() =>
          runPostcheck(
            { db: history.db, config: options, clock: () => new Date() },
            { runDate: lastNight, triggeredBy: 'bench' },
          ),
        )
      ).ms,
    status: async () => (await timed(() => status(history))).ms,
    reference: async () => (await timed(() => history.db.execute(plainCounts(lastNight)))).ms,
  });
  const reference = median(times.reference);
  const nights = ctx.sizes.history.nights;
  for (const what of ['postcheck', 'status'] as const) {
    const product = median(times[what]);
    ctx.emit({
      scenario: what === 'postcheck' ? 'postcheck' : 'status',
      backend,
      case: `last night of ${nights}, ${fmt.count(history.unitsPerNight)} units a night`,
      product: fmt.duration(product),
      productValue: product,
      reference: `plain aggregate ${fmt.duration(reference)}`,
      referenceValue: reference,
      ratio: product / reference,
      ratioMeaning: `${what}: its time / a plain hash aggregate of the night's counts (lower is better)`,
      goal: `< ${GOAL_MS} ms`,
      met: product < GOAL_MS,
      note: `median of ${times[what].length}`,
      samples: { product: times[what], reference: times.reference },
    });
  }
}

export const postcheck: Scenario = {
  name: 'postcheck',
  summary: 'the postcheck and `status` of last night on nights of history, against a plain aggregate',
  async run(ctx) {
    await onBackend(ctx, 'postgres');
    await onBackend(ctx, 'pglite');
  },
};
