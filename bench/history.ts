import { sql } from 'drizzle-orm';
import { queryOne } from '../src/db/client.ts';
import { ensureQueuePartitions } from '../src/queue/queue-partitions.ts';
import { measureCoverage } from '../src/scheduler/postcheck.ts';
import { FUNCTION_NAMES } from '../src/store/scheduler-runs.ts';
import type { BenchContext } from './context.ts';
import {
  type BenchDb,
  daysBefore,
  openPgliteBench,
  openPostgresBench,
  PROMPTS_PER_ORG,
  seedUnits,
} from './databases.ts';
import { fmt, timed } from './measure.ts';

/**
 * Nights of history as the product leaves them, written set-based (one statement per table per
 * night): for every night before today, the trigger's run row, one completed job per org, one
 * task per (prompt, provider) (about 1 in 128 failed after three attempts, the rest completed
 * within an hour of 03:00) and one response per task. The product's own reading of the last
 * night must agree with what was written, or the history is not what the product would have
 * left (a table it keeps and these statements do not fill) and the scenario stops.
 */

export interface HistoryDb extends BenchDb {
  /** The most recent night of history: yesterday's business day. */
  lastNight: string;
  unitsPerNight: number;
}

export async function writeNight(bench: BenchDb, runDate: string): Promise<void> {
  const { db } = bench;
  // Its own partitions, as the trigger makes them (the DEFAULT one is only a safety net).
  await ensureQueuePartitions(db, runDate, 1);
  const start = sql`(${runDate}::date + time '07:00') at time zone 'UTC'`;
  await db.execute(sql`
    insert into scheduler_runs (function_name, run_key, status, started_at, completed_at, triggered_by, result)
    values (${FUNCTION_NAMES.trigger}, ${runDate}, 'completed', ${start}, ${start} + interval '1 minute',
            'scheduler', ${JSON.stringify({ runDate, source: 'nightly', scope: 'all', scheduled: true })}::jsonb)`);
  await db.execute(sql`
    insert into batch_jobs (id, org_id, run_date, source, status, triggered_by, created_at, started_at, completed_at)
    select md5(${runDate} || o.id::text)::uuid, o.id, ${runDate}::date, 'nightly', 'completed', 'scheduler',
           ${start}, ${start}, ${start} + interval '1 hour'
    from organizations o where o.active`);
  await db.execute(sql`
    insert into batch_tasks (batch_job_id, org_id, prompt_id, provider, run_date, status, attempts, max_attempts,
                             available_at, created_at, started_at, completed_at, last_error, error_class)
    select md5(${runDate} || p.org_id::text)::uuid, p.org_id, p.id, pr.name, ${runDate}::date,
           case when f.failed then 'failed' else 'completed' end, case when f.failed then 3 else 1 end, 3,
           ${start}, ${start}, ${start} + f.offset_s * interval '1 second',
           ${start} + (f.offset_s + 2) * interval '1 second',
           case when f.failed then '503 Service Unavailable' end, case when f.failed then 'server' end
    from prompts p
    cross join providers pr
    cross join lateral (
      select (h & 127) = 0 as failed, (h >> 8) & 4095 as offset_s
      from (select hashtext(p.id::text || pr.name || ${runDate}) as h) x
    ) f
    where p.active and pr.enabled`);
  await db.execute(sql`
    insert into prompt_provider_responses (batch_task_id, org_id, prompt_id, provider, model, run_date, run_at,
                                           status, response_text, error, error_class, latency_ms, tokens_in, tokens_out)
    select t.id, t.org_id, t.prompt_id, t.provider, 'simulated', t.run_date, t.completed_at,
           case when t.status = 'completed' then 'success' else 'error' end,
           case when t.status = 'completed'
                then 'A simulated answer naming a few tools, with a sentence on each and a link or two.' end,
           t.last_error, t.error_class, 900, 20, 240
    from batch_tasks t where t.run_date = ${runDate}::date`);
  await db.execute(sql`
    update batch_jobs j
    set total_tasks = c.total, completed_tasks = c.completed, failed_tasks = c.failed
    from (select batch_job_id, count(*)::int as total,
                 count(*) filter (where status = 'completed')::int as completed,
                 count(*) filter (where status = 'failed')::int as failed
          from batch_tasks where run_date = ${runDate}::date group by batch_job_id) c
    where j.id = c.batch_job_id`);
}

/** The product's postcheck of the last night must count what was written. */
async function checkVisible(bench: HistoryDb): Promise<void> {
  const written = await queryOne<{ ok: number }>(
    bench.db,
    sql`select count(*)::int as ok from prompt_provider_responses
        where run_date = ${bench.lastNight}::date and status = 'success'`,
  );
  const options = bench.config;
  const report = await measureCoverage(
    { db: bench.db, config: options, clock: () => new Date() },
    { runDate: bench.lastNight },
  );
  if (report.units.expected !== bench.unitsPerNight || report.units.succeeded !== written?.ok) {
    throw new Error(
      `the product reads ${report.units.expected} expected / ${report.units.succeeded} succeeded units on ` +
        `${bench.lastNight}, the history holds ${bench.unitsPerNight} / ${written?.ok}: bench/history.ts ` +
        'does not write everything the product reads (a rollup or counter it keeps?)',
    );
  }
}

export async function buildHistory(ctx: BenchContext, backend: 'postgres' | 'pglite'): Promise<HistoryDb> {
  const sizes = ctx.sizes.history;
  const orgs = backend === 'postgres' ? sizes.orgs : sizes.pgliteOrgs;
  const bench = backend === 'postgres' ? await openPostgresBench('history') : await openPgliteBench();
  try {
    const { prompts } = await seedUnits(bench.db, orgs * PROMPTS_PER_ORG * 4);
    const history: HistoryDb = {
      ...bench,
      lastNight: daysBefore(bench.config, 1),
      unitsPerNight: prompts * 4,
    };
    const { ms } = await timed(async () => {
      for (let night = sizes.nights; night >= 1; night--) {
        ctx.log(
          `history (${backend}): night ${sizes.nights - night + 1} of ${sizes.nights}, ` +
            `${fmt.count(history.unitsPerNight)} tasks and responses`,
        );
        await writeNight(bench, daysBefore(bench.config, night));
      }
      // A database that has lived with its history has been vacuumed and analysed by then.
      for (const table of ['batch_jobs', 'batch_tasks', 'prompt_provider_responses', 'scheduler_runs'])
        await bench.db.execute(sql.raw(`vacuum analyze ${table}`));
    });
    ctx.log(`history (${backend}): ${sizes.nights} nights written in ${fmt.duration(ms)}`);
    await checkVisible(history);
    return history;
  } catch (error) {
    await bench.close();
    throw error;
  }
}
