import { sql } from 'drizzle-orm';
import { queryOne } from '../../src/db/client.ts';
import { runTrigger } from '../../src/scheduler/trigger.ts';
import type { BenchContext, Scenario } from '../context.ts';
import {
  type BenchDb,
  benchEnv,
  cloneTable,
  daysBefore,
  openPgliteBench,
  openPostgresBench,
  seedUnits,
} from '../databases.ts';
import { fmt, interleave, median, timed } from '../measure.ts';
import { runOk, runSched } from '../processes.ts';

/**
 * The nightly trigger's fan-out against the cheapest way to write the same rows: one
 * `INSERT ... SELECT` of one job per org and one task per (prompt, provider) into copies of
 * batch_jobs and batch_tasks with the same columns, constraints, indexes and foreign keys.
 * In-process (runTrigger vs the statement on the same pool) and through the CLI (`sched trigger`
 * vs `psql -c` with the statement), each round on a night of its own.
 */

const GOAL = 1.25;

/** The reference: the bench's seed expects every active prompt on every enabled provider. */
function bareInsert(runDate: string): string {
  return `
    with units as (
      select p.org_id, p.id as prompt_id, pr.name as provider
      from prompts p
      join organizations o on o.id = p.org_id
      cross join providers pr
      where p.active and o.active and o.subscription_status in ('active', 'trialing') and pr.enabled
    ),
    jobs as (
      insert into ref_jobs (id, org_id, run_date, source, status, total_tasks, triggered_by)
      select md5('${runDate}' || org_id::text)::uuid, org_id, '${runDate}', 'nightly', 'queued', count(*), 'bench'
      from units group by org_id
    )
    insert into ref_tasks (batch_job_id, org_id, prompt_id, provider, run_date, status, max_attempts,
                           available_at, created_at)
    select md5('${runDate}' || org_id::text)::uuid, org_id, prompt_id, provider, '${runDate}', 'pending', 3,
           now(), now()
    from units`;
}

async function countTasks(bench: BenchDb, table: string, runDate: string): Promise<number> {
  const row = await queryOne<{ n: number }>(
    bench.db,
    sql`select count(*)::int as n from ${sql.identifier(table)} where run_date = ${runDate}::date`,
  );
  return row?.n ?? 0;
}

async function measure(ctx: BenchContext, bench: BenchDb, tasks: number, cli: boolean): Promise<void> {
  const sizes = ctx.sizes.fanOut;
  // Each round its own night (a trigger runs once per date); rounds of the CLI after those in-process.
  const date = (round: number) => daysBefore(bench.config, 1 + round + (cli ? sizes.runs : 0));
  const env = { ...benchEnv(), DATABASE_URL: bench.url ?? '' };
  const times = await interleave(sizes.runs, {
    product: async (round) => {
      const runDate = date(round);
      const { ms, result } = cli
        ? await timed(() => runSched(['trigger', '--date', runDate], env))
        : await timed(() => runTrigger(bench.deps, { runDate, triggeredBy: 'bench', scheduled: false }));
      if (!cli && result && 'status' in result && result.status !== 'triggered')
        throw new Error(`trigger for ${runDate}: ${result.status}`);
      return ms;
    },
    reference: async (round) => {
      const runDate = date(round);
      const { ms } = cli
        ? await timed(() =>
            runOk(
              'psql',
              ['-X', '-q', '-v', 'ON_ERROR_STOP=1', bench.url ?? '', '-c', bareInsert(runDate)],
              {},
            ),
          )
        : await timed(() => bench.db.execute(sql.raw(bareInsert(runDate))));
      return ms;
    },
  });
  // Same rows on both sides, or the ratio means nothing.
  for (let round = 0; round < times.product.length; round++) {
    const runDate = date(round);
    const [mine, theirs] = [
      await countTasks(bench, 'batch_tasks', runDate),
      await countTasks(bench, 'ref_tasks', runDate),
    ];
    if (mine !== tasks || theirs !== tasks)
      throw new Error(
        `${runDate}: the trigger wrote ${mine} tasks, the reference ${theirs}, expected ${tasks}`,
      );
  }
  const product = median(times.product);
  const reference = median(times.reference);
  const ratio = product / reference;
  ctx.emit({
    scenario: 'fan-out',
    backend: bench.kind,
    case: `${fmt.count(tasks)} tasks, ${cli ? 'CLI: sched trigger vs psql -c' : 'in-process'}`,
    product: fmt.duration(product),
    productValue: product,
    reference: `bare INSERT ... SELECT ${fmt.duration(reference)}`,
    referenceValue: reference,
    ratio,
    ratioMeaning:
      'fan-out: trigger time / bare INSERT ... SELECT time of the same rows into identical tables (lower is better)',
    goal: `<= ${GOAL}x`,
    met: ratio <= GOAL,
    note: `median of ${times.product.length}`,
    samples: times,
  });
}

async function onBackend(ctx: BenchContext, bench: BenchDb, tasks: number): Promise<void> {
  try {
    ctx.log(`fan-out (${bench.kind}): seeding ${fmt.count(tasks)} units`);
    await seedUnits(bench.db, tasks);
    await cloneTable(bench.db, 'batch_jobs', 'ref_jobs');
    await cloneTable(bench.db, 'batch_tasks', 'ref_tasks', { batch_jobs: 'ref_jobs' });
    await measure(ctx, bench, tasks, false);
    if (bench.kind === 'postgres') await measure(ctx, bench, tasks, true);
  } finally {
    await bench.close();
  }
}

export const fanOut: Scenario = {
  name: 'fan-out',
  summary: 'the trigger against a bare INSERT ... SELECT of the same rows, in-process and through the CLI',
  async run(ctx) {
    await onBackend(ctx, await openPostgresBench('fanout'), ctx.sizes.fanOut.tasks);
    await onBackend(ctx, await openPgliteBench(), ctx.sizes.fanOut.pgliteTasks);
  },
};
