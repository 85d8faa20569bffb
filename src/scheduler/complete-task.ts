import { sql } from 'drizzle-orm';
import { type Db, queryOne } from '../db/client.ts';
import type { ErrorClass } from '../providers/types.ts';

/**
 * Finishes a task a worker still holds: the response row, the task and its job's counters in one
 * statement (data-modifying CTEs commit together). Fenced on (id, locked_by, processing): a
 * worker whose lease expired and whose task was requeued or taken by another stores nothing.
 */

export type TaskOutcome =
  | {
      status: 'success';
      model: string;
      text: string;
      tokensIn: number;
      tokensOut: number;
      latencyMs: number;
    }
  | { status: 'error'; model: string; errorClass: ErrorClass; message: string; latencyMs: number };

export interface CompleteRequest {
  taskId: number;
  workerId: string;
  outcome: TaskOutcome;
  now: Date;
}

/**
 * Returns the job id when the task was completed, by this call or by an earlier try of the same
 * worker whose reply was lost (so the retry counts it once and the job still gets closed);
 * undefined when the fence did not match (the task was taken back or given to another worker).
 */
export async function completeTask(db: Db, request: CompleteRequest): Promise<string | undefined> {
  const { outcome } = request;
  const ok = outcome.status === 'success';
  const nowIso = request.now.toISOString();
  const errorClass = ok ? null : outcome.errorClass;
  const message = ok ? null : outcome.message.slice(0, 2000);
  const row = await queryOne<{ batch_job_id: string }>(
    db,
    sql`with t as (
          update batch_tasks
          set status = ${ok ? 'completed' : 'failed'}, completed_at = ${nowIso}::timestamptz,
              lease_expires_at = null, error_class = ${errorClass}, last_error = ${message}
          where id = ${request.taskId} and locked_by = ${request.workerId} and status = 'processing'
          returning id, batch_job_id, org_id, prompt_id, provider, run_date
        ),
        response as (
          insert into prompt_provider_responses
            (batch_task_id, org_id, prompt_id, provider, model, run_date, run_at, status, response_text,
             error, error_class, latency_ms, tokens_in, tokens_out)
          select id, org_id, prompt_id, provider, ${outcome.model}, run_date, ${nowIso}::timestamptz,
                 ${ok ? 'success' : 'error'}, ${ok ? outcome.text : null}, ${message}, ${errorClass},
                 ${Math.round(outcome.latencyMs)}::int, ${ok ? outcome.tokensIn : null}::int,
                 ${ok ? outcome.tokensOut : null}::int
          from t
        ),
        job as (
          update batch_jobs
          set completed_tasks = completed_tasks + ${ok ? 1 : 0}::int,
              failed_tasks = failed_tasks + ${ok ? 0 : 1}::int
          where id = (select batch_job_id from t)
        )
        select batch_job_id from t
        union all
        -- This worker's earlier try already landed (its reply was lost to a dropped connection):
        -- nothing else ends a task and leaves locked_by set. Read from the statement's snapshot,
        -- so a task the update above has just ended is not returned twice.
        select batch_job_id from batch_tasks
        where id = ${request.taskId} and locked_by = ${request.workerId} and status in ('completed', 'failed')`,
  );
  return row?.batch_job_id;
}

/**
 * Closes a job with no live task left. Runs after the completion has committed, never inside
 * it: two workers finishing a job's last two tasks at once each see the other's commit or not,
 * and at least the later one sees both and closes it (the reconciler is the safety net).
 */
export async function closeJobIfDone(db: Db, jobId: string, now: Date): Promise<boolean> {
  const row = await queryOne<{ id: string }>(
    db,
    sql`update batch_jobs j set status = 'completed', completed_at = ${now.toISOString()}::timestamptz
        where j.id = ${jobId} and j.status in ('queued', 'processing')
          and not exists (select 1 from batch_tasks t
                          where t.batch_job_id = j.id and t.status in ('pending', 'processing'))
        returning j.id`,
  );
  return row !== undefined;
}
