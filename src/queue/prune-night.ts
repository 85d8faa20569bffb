import { sql } from 'drizzle-orm';
import { type Db, queryOne, queryRows } from '../db/client.ts';
import { isLive } from '../db/live-status.ts';
import { shortTransaction } from '../db/transaction.ts';
import { partitionName } from './queue-partitions.ts';
import { dropNightCounts } from './task-counts.ts';

/**
 * Retention's queue side: a night's task partition dropped and its jobs deleted, its responses'
 * partition dropped later if asked. A night goes only once its figures are kept elsewhere: a
 * completed postcheck in scheduler_runs (the rollup keeps its succeeded units whatever happens to
 * the responses: dropping a partition fires none of the rollup's triggers) and no live task.
 *
 * Dropping a partition takes an ACCESS EXCLUSIVE lock on its parent table for the moment it
 * takes: claims and completions wait that long. lock_timeout keeps retention from queueing
 * behind a long statement (and everything else behind it): it gives up and tries next time.
 */

const LOCK_TIMEOUT = '3s';

export interface RetentionCandidate {
  runDate: string;
  /** What retention would remove of this night. */
  queue: boolean;
  responses: boolean;
  /** Why a night past the queue cutoff stays: its figures are not recorded yet, or it still runs. */
  keptBecause?: 'no_postcheck' | 'live_tasks';
  tasks: number;
  jobs: number;
  responseRows: number;
}

/**
 * Nights older than the cutoffs (run_date < cutoff) that still hold queue rows, or responses when
 * `responsesBefore` is set. Responses go only from nights whose queue rows are gone (or go now).
 */
export async function retentionCandidates(
  db: Db,
  params: {
    queueBefore: string;
    responsesBefore?: string | undefined;
    /** scheduler_runs' function name of the postcheck, whose completed row keeps a night's figures. */
    postcheckFunction: string;
  },
): Promise<RetentionCandidate[]> {
  const { queueBefore, responsesBefore, postcheckFunction } = params;
  // The nights first, from catalogs and small tables; then each night's counts in a statement
  // that names its date, so it reads that night's partitions only (with the date from a join,
  // a year of partitions took 10 s to count one night).
  const nights = await queryRows<{
    run_date: string;
    pruned: boolean;
    responses_gone: boolean;
    postcheck: boolean;
  }>(
    db,
    sql`with nights as (
          select distinct run_date from batch_jobs where run_date < ${queueBefore}::date
          union
          select distinct run_date from batch_tasks_default where run_date < ${queueBefore}::date
          union
          select to_date(right(c.relname, 8), 'YYYYMMDD') from pg_inherits i join pg_class c on c.oid = i.inhrelid
          where i.inhparent in ('batch_tasks'::regclass, 'prompt_provider_responses'::regclass)
            and c.relname ~ '_p[0-9]{8}$'
            and to_date(right(c.relname, 8), 'YYYYMMDD') < ${queueBefore}::date
        )
        select n.run_date::text as run_date,
               p.run_date is not null as pruned,
               p.responses_pruned_at is not null as responses_gone,
               exists (select 1 from scheduler_runs r
                       where r.function_name = ${postcheckFunction} and r.status = 'completed'
                         and (r.run_key = n.run_date::text or r.run_key like n.run_date::text || '/%')) as postcheck
        from nights n left join pruned_nights p on p.run_date = n.run_date
        order by n.run_date`,
  );
  const rows = [];
  for (const night of nights) {
    const counts = await queryOne<{ live: boolean; tasks: number; jobs: number; response_rows: number }>(
      db,
      sql`select exists (select 1 from batch_tasks where run_date = ${night.run_date}::date
                         and ${isLive()}) as live,
                 (select count(*)::int from batch_tasks where run_date = ${night.run_date}::date) as tasks,
                 (select count(*)::int from batch_jobs where run_date = ${night.run_date}::date) as jobs,
                 (select count(*)::int from prompt_provider_responses where run_date = ${night.run_date}::date) as response_rows`,
    );
    const { live = false, tasks = 0, jobs = 0, response_rows = 0 } = counts ?? {};
    rows.push({
      ...night,
      live,
      tasks,
      jobs,
      response_rows,
      queue: tasks > 0 || jobs > 0 || !night.pruned,
      responses: responsesBefore !== undefined && night.run_date < responsesBefore && !night.responses_gone,
    });
  }
  return rows.flatMap((r): RetentionCandidate[] => {
    // A night with no row at all (a partition made ahead for a night that never ran): its empty
    // partitions go, and nothing is recorded of it.
    if (r.tasks + r.jobs + r.response_rows === 0)
      return [{ runDate: r.run_date, queue: true, responses: true, tasks: 0, jobs: 0, responseRows: 0 }];
    const keptBecause = !r.postcheck ? 'no_postcheck' : r.live ? 'live_tasks' : undefined;
    const queue = r.queue && !keptBecause;
    const responses = r.responses && !keptBecause;
    if (!r.queue && !r.responses) return [];
    const base = { runDate: r.run_date, tasks: r.tasks, jobs: r.jobs, responseRows: r.response_rows };
    return [{ ...base, queue, responses, ...(keptBecause ? { keptBecause } : {}) }];
  });
}

export interface PrunedNight {
  runDate: string;
  tasks: number;
  jobs: number;
  /** Response rows removed (0 when they were kept). */
  responses: number;
}

/** Removes what `candidate` says of one night, in one transaction; records it in pruned_nights. */
export async function pruneNight(db: Db, candidate: RetentionCandidate, now: Date): Promise<PrunedNight> {
  const { runDate } = candidate;
  const at = now.toISOString();
  return shortTransaction(db, async (tx) => {
    await tx.execute(sql`select set_config('lock_timeout', ${LOCK_TIMEOUT}, true)`);
    let tasks = 0;
    let jobs = 0;
    if (candidate.queue) {
      const summary = await queryOne<{
        tasks: number;
        first_created: string | null;
        last_completed: string | null;
      }>(
        tx,
        sql`select count(*)::int as tasks, min(created_at) as first_created, max(completed_at) as last_completed
            from batch_tasks where run_date = ${runDate}::date`,
      );
      tasks = summary?.tasks ?? 0;
      await dropNightPartition(tx, 'batch_tasks', runDate);
      await dropNightCounts(tx, runDate);
      const deleted = await queryOne<{ n: number }>(
        tx,
        sql`with gone as (delete from batch_jobs where run_date = ${runDate}::date returning 1)
            select count(*)::int as n from gone`,
      );
      jobs = deleted?.n ?? 0;
      if (tasks + jobs > 0)
        await tx.execute(
          sql`insert into pruned_nights (run_date, queue_pruned_at, tasks, jobs, first_created, last_completed)
            values (${runDate}::date, ${at}::timestamptz, ${tasks}, ${jobs},
                    ${summary?.first_created ?? null}::timestamptz, ${summary?.last_completed ?? null}::timestamptz)
            on conflict (run_date) do update
              set queue_pruned_at = excluded.queue_pruned_at,
                  tasks = pruned_nights.tasks + excluded.tasks, jobs = pruned_nights.jobs + excluded.jobs,
                  first_created = coalesce(pruned_nights.first_created, excluded.first_created),
                  last_completed = coalesce(pruned_nights.last_completed, excluded.last_completed)`,
        );
    }
    let responses = 0;
    if (candidate.responses) {
      const counted = await queryOne<{ n: number }>(
        tx,
        sql`select count(*)::int as n from prompt_provider_responses where run_date = ${runDate}::date`,
      );
      responses = counted?.n ?? 0;
      await dropNightPartition(tx, 'prompt_provider_responses', runDate);
      await tx.execute(
        sql`update pruned_nights set responses_pruned_at = ${at}::timestamptz, responses = ${responses}
            where run_date = ${runDate}::date`,
      );
    }
    return { runDate, tasks, jobs, responses };
  });
}

/**
 * The night's partition dropped, and any of its rows that sat in DEFAULT deleted there. Rows
 * removed partition by partition fire none of the parent's statement triggers (the rollup's).
 */
async function dropNightPartition(
  tx: Db,
  table: 'batch_tasks' | 'prompt_provider_responses',
  runDate: string,
): Promise<void> {
  await tx.execute(sql`delete from ${sql.identifier(`${table}_default`)} where run_date = ${runDate}::date`);
  await tx.execute(sql`drop table if exists ${sql.identifier(partitionName(table, runDate))}`);
}
