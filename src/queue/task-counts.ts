import { sql } from 'drizzle-orm';
import { type Db, queryOne, queryRows } from '../db/client.ts';

/**
 * task_counts (0018_task_counts): tasks per (run_date, org, provider, status), kept by statement
 * triggers on batch_tasks whatever writes a task, as append-only deltas that readers sum. A
 * running night's figures are read from here: a few rows per (org, provider), whatever the size of
 * the night, where counting its tasks reads every one of them. The postcheck still measures the
 * night from its units; `sched audit` holds these counts equal to the tasks.
 */

export interface CountRow {
  orgId: string;
  provider: string;
  status: string;
  tasks: number;
}

export interface NightCounts {
  rows: CountRow[];
  /** The earliest start of a task of the night, or null before any worker touched one. */
  firstStart: string | null;
  /** Tasks that finished (completed or failed) in the minutes from `since` to `until`. */
  finishedInWindow: number;
}

/**
 * The night's counts per (org, provider, status), and its finishes in a window. The window is
 * read by finish minute: a minute counts when it overlaps (since, until].
 */
export async function readNightCounts(
  db: Db,
  params: { runDate: string; since: Date; until: Date },
): Promise<NightCounts> {
  const { runDate, since, until } = params;
  const row = await queryOne<{ doc: unknown }>(
    db,
    sql`with night as (select * from task_counts where run_date = ${runDate}::date)
        select json_build_object(
          'rows', (select coalesce(json_agg(json_build_object(
                     'orgId', org_id, 'provider', provider, 'status', status, 'tasks', tasks)
                     order by org_id, provider, status), '[]'::json)
                   from (select org_id, provider, status, sum(tasks)::int as tasks from night
                         group by org_id, provider, status having sum(tasks) <> 0) s),
          'firstStart', (select min(first_start) from night),
          'finishedInWindow', (select coalesce(sum(tasks), 0)::int from night
                               where status in ('completed', 'failed')
                                 and done_minute > date_trunc('minute', ${since.toISOString()}::timestamptz) - interval '1 minute'
                                 and done_minute <= ${until.toISOString()}::timestamptz)
        ) as doc`,
  );
  const doc = (typeof row?.doc === 'string' ? JSON.parse(row.doc) : row?.doc) as NightCounts | undefined;
  return doc ?? { rows: [], firstStart: null, finishedInWindow: 0 };
}

/** Nights whose counts differ from their tasks, key by key: what `sched audit` reports. */
export interface CountDrift {
  runDate: string;
  orgId: string;
  provider: string;
  status: string;
  counted: number;
  tasks: number;
}

/** The counts of `runDates` against a `count(*) group by` of their tasks (one night's partition each). */
export async function countDrift(db: Db, runDates: readonly string[]): Promise<CountDrift[]> {
  const drift: CountDrift[] = [];
  // One statement per night, naming its date: each reads that night's partition only.
  for (const runDate of runDates) {
    const rows = await queryRows<CountDrift>(
      db,
      sql`with counted as (
            select org_id, provider, status, sum(tasks)::int as n from task_counts
            where run_date = ${runDate}::date group by org_id, provider, status
          ),
          actual as (
            select org_id, provider, status, count(*)::int as n from batch_tasks
            where run_date = ${runDate}::date group by org_id, provider, status
          )
          select ${runDate}::text as "runDate", coalesce(c.org_id, a.org_id) as "orgId",
                 coalesce(c.provider, a.provider) as provider, coalesce(c.status, a.status) as status,
                 coalesce(c.n, 0) as counted, coalesce(a.n, 0) as tasks
          from counted c full join actual a
            on a.org_id = c.org_id and a.provider = c.provider and a.status = c.status
          where coalesce(c.n, 0) <> coalesce(a.n, 0)
          order by 2, 3, 4`,
    );
    drift.push(...rows);
  }
  return drift;
}

/**
 * A night's counts removed with its task partition (retention): dropping a partition fires none
 * of batch_tasks' triggers. Called in the pruning transaction.
 */
export async function dropNightCounts(tx: Db, runDate: string): Promise<void> {
  await tx.execute(sql`delete from task_counts where run_date = ${runDate}::date`);
}
