import { sql } from 'drizzle-orm';
import { Logger, runMigrations } from 'graphile-worker';
import { queryOne } from '../../src/db/client.ts';
import { runTrigger } from '../../src/scheduler/trigger.ts';
import type { BenchContext, Scenario } from '../context.ts';
import { type BenchDb, benchEnv, daysBefore, openPostgresBench, seedUnits } from '../databases.ts';
import { fmt, interleave, median, waitUntil } from '../measure.ts';
import { QueueChild, type Side } from '../queue-child.ts';

/**
 * Whole nights through the queue against graphile-worker 0.18 on the same PostgreSQL (its own
 * schema in the same database): N tasks already queued, the workers of 1 or 2 processes at
 * concurrency c each started together, the clock stopped when the queue is empty. sched-bot's
 * night is a real trigger's; graphile-worker's is N `noop` jobs added with add_jobs. Throughput is
 * N / wall time; the ratio is sched-bot's over graphile-worker's.
 */

/** How often the bench looks whether the queue is empty: small beside a night of seconds. */
const POLL_MS = 50;

const empty: Record<Side, string> = {
  product: `select not exists (select 1 from batch_tasks where status in ('pending', 'processing')) as done`,
  graphile: 'select not exists (select 1 from graphile_worker._private_jobs) as done',
};

async function queued(bench: BenchDb, side: Side, tasks: number, runDate: string): Promise<void> {
  if (side === 'product') {
    const result = await runTrigger(bench.deps, { runDate, triggeredBy: 'bench', scheduled: false });
    if (result.status !== 'triggered' || result.tasks !== tasks)
      throw new Error(
        `trigger for ${runDate}: ${result.status}, ${'tasks' in result ? result.tasks : 0} tasks`,
      );
    return;
  }
  await bench.db.execute(sql`
    select count(*) from graphile_worker.add_jobs(array(
      select row('noop', '{}'::json, null, null, null, null, null, null)::graphile_worker.job_spec
      from generate_series(1, ${tasks}::int)))`);
}

/** One night: queued outside the clock, then workers start in every process and the clock runs until it is empty. */
async function night(
  bench: BenchDb,
  children: QueueChild[],
  side: Side,
  options: { tasks: number; concurrency: number; runDate: string },
): Promise<number> {
  await queued(bench, side, options.tasks, options.runDate);
  const start = performance.now();
  await Promise.all(
    children.map((c) => c.request({ type: 'start', side, concurrency: options.concurrency })),
  );
  await waitUntil(
    async () => (await queryOne<{ done: boolean }>(bench.db, sql.raw(empty[side])))?.done === true,
    // A stuck queue is an error, not a figure: 20 tasks per second at the very least.
    { everyMs: POLL_MS, timeoutMs: Math.max(120_000, options.tasks * 50), what: `${side} night` },
  );
  const ms = performance.now() - start;
  await Promise.all(children.map((c) => c.request({ type: 'stop' })));
  if (side === 'product') {
    const done = await queryOne<{ n: number }>(
      bench.db,
      sql`select count(*)::int as n from batch_tasks where run_date = ${options.runDate}::date and status = 'completed'`,
    );
    if (done?.n !== options.tasks)
      throw new Error(`${options.runDate}: ${done?.n} of ${options.tasks} completed`);
  }
  return (options.tasks * 1000) / ms;
}

async function onSize(ctx: BenchContext, children: QueueChild[], tasks: number): Promise<void> {
  const sizes = ctx.sizes.queue;
  const bench = await openPostgresBench(`queue_${tasks}`);
  const opened: QueueChild[] = [];
  try {
    ctx.log(`queue: seeding ${fmt.count(tasks)} units, installing graphile-worker`);
    await seedUnits(bench.db, tasks);
    await runMigrations({ connectionString: bench.url, logger: new Logger(() => () => {}) });
    for (const child of children) {
      await child.request({ type: 'open', url: bench.url ?? '', env: benchEnv() });
      opened.push(child);
    }
    let nights = 0;
    for (const concurrency of sizes.concurrency) {
      for (const processes of sizes.processes) {
        const used = children.slice(0, processes);
        const options = { tasks, concurrency };
        const rates = await interleave(sizes.runs, {
          product: () =>
            night(bench, used, 'product', { ...options, runDate: daysBefore(bench.config, ++nights) }),
          reference: () => night(bench, used, 'graphile', { ...options, runDate: '' }),
        });
        const product = median(rates.product);
        const reference = median(rates.reference);
        const ratio = product / reference;
        ctx.emit({
          scenario: 'queue',
          backend: 'postgres',
          case: `${fmt.count(tasks)} tasks, c=${concurrency}, ${processes} process${processes > 1 ? 'es' : ''}`,
          product: `${fmt.perSecond(product)}`,
          productValue: product,
          reference: `graphile-worker ${fmt.perSecond(reference)}`,
          referenceValue: reference,
          ratio,
          ratioMeaning:
            'queue: sched-bot tasks per second / graphile-worker jobs per second, whole nights, same concurrency (higher is better)',
          goal: '>= 1.0x',
          met: ratio >= 1,
          note: `median of ${rates.product.length}; tasks/s`,
          samples: rates,
        });
      }
    }
  } finally {
    for (const child of opened) await child.request({ type: 'close' }).catch(() => undefined);
    await bench.close();
  }
}

export const queue: Scenario = {
  name: 'queue',
  summary: 'whole nights through the queue against graphile-worker, c=8 and 32, one process and two',
  async run(ctx) {
    const sizes = ctx.sizes.queue;
    ctx.log('queue: starting worker processes');
    const children = await Promise.all(
      Array.from({ length: Math.max(...sizes.processes) }, () => QueueChild.spawn()),
    );
    try {
      for (const tasks of sizes.tasks) await onSize(ctx, children, tasks);
    } finally {
      await Promise.all(children.map((c) => c.exit()));
    }
  },
};
