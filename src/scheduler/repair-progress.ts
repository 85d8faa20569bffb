import { sql } from 'drizzle-orm';
import { type Db, queryOne } from '../db/client.ts';
import { isLive } from '../db/live-status.ts';
import { FUNCTION_NAMES } from '../store/scheduler-runs.ts';

/**
 * Where the night's latest repair that enqueued work stands, read from the database alone, so any
 * process (a worker finishing the last task, a CLI postcheck, the Repair button's watcher) shows
 * the same repair line on the report. A repair that enqueued nothing is not a repair here.
 */

export interface RepairProgress {
  triggeredBy: string;
  startedAt: Date;
  units: number;
  done: number;
  failed: number;
  live: number;
  /** The repair's last task completion, once none of its tasks is live. */
  finishedAt: Date | undefined;
}

export async function latestRepairProgress(db: Db, runDate: string): Promise<RepairProgress | undefined> {
  const row = await queryOne<{
    triggered_by: string;
    started_at: Date | string;
    units: number;
    done: number;
    failed: number;
    live: number;
    finished_at: Date | string | null;
  }>(
    db,
    sql`with r as (
          select id, triggered_by, started_at, (result->>'tasks')::int as units
          from scheduler_runs
          where function_name = ${FUNCTION_NAMES.repair} and status = 'completed'
            and run_key like ${`${runDate}/%`}
            and case when jsonb_typeof(result->'tasks') = 'number' then (result->>'tasks')::int > 0 else false end
          order by started_at desc, id desc
          limit 1)
        select r.triggered_by, r.started_at, r.units,
               count(t.id) filter (where t.status in ('completed', 'failed', 'cancelled'))::int as done,
               count(t.id) filter (where t.status = 'failed')::int as failed,
               count(t.id) filter (where ${isLive('t.status')})::int as live,
               max(t.completed_at) as finished_at
        from r
        left join batch_jobs j on j.run_date = ${runDate}::date and j.source = 'repair'
          and j.triggered_by = r.triggered_by and j.created_at >= r.started_at
        left join batch_tasks t on t.batch_job_id = j.id and t.run_date = j.run_date
        group by r.id, r.triggered_by, r.started_at, r.units`,
  );
  if (!row) return undefined;
  const finished = row.live === 0 ? (row.finished_at ?? row.started_at) : null;
  return {
    triggeredBy: row.triggered_by,
    startedAt: new Date(row.started_at),
    units: row.units,
    done: row.done,
    failed: row.failed,
    live: row.live,
    finishedAt: finished === null ? undefined : new Date(finished),
  };
}
