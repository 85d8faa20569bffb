import { sql } from 'drizzle-orm';
import { type Db, queryPrepared } from '../db/client.ts';
import type { ErrorClass } from '../providers/types.ts';
import { endedBySuccess } from './snooze-holds.ts';

/**
 * Finishes tasks a worker still holds, any number in one statement (data-modifying CTEs commit
 * together): the tasks, their response rows (one plain INSERT ... SELECT) and their jobs'
 * counters, rolled up once per job. Fenced per task on (id, locked_by, processing): a worker
 * whose lease expired and whose task was requeued or taken by another stores nothing for it.
 * Closing the jobs comes after the commit (close-jobs.ts).
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

export interface Completion {
  taskId: number;
  /** The task's night: each task is reached in its night's partition only. */
  runDate: string;
  outcome: TaskOutcome;
  now: Date;
}

export interface CompleteRequest extends Completion {
  workerId: string;
}

/**
 * Returns the job id when the task was completed, by this call or by an earlier try of the same
 * worker whose reply was lost (so the retry counts it once and the job still gets closed);
 * undefined when the fence did not match (the task was taken back or given to another worker).
 */
export async function completeTask(db: Db, request: CompleteRequest): Promise<string | undefined> {
  const [jobId] = await completeTasks(db, { workerId: request.workerId, completions: [request] });
  return jobId;
}

/**
 * The job id of each completion, in order; undefined where the fence did not match. A task
 * appears at most once per call (the worker holds it once).
 */
export async function completeTasks(
  db: Db,
  params: { workerId: string; completions: readonly Completion[] },
): Promise<(string | undefined)[]> {
  const { workerId, completions } = params;
  if (completions.length === 0) return [];
  const column = <T>(pick: (c: Completion, ok: boolean) => T) =>
    sql.param(completions.map((c) => pick(c, c.outcome.status === 'success')));
  const error = (o: TaskOutcome) => (o.status === 'error' ? o : undefined);
  const success = (o: TaskOutcome) => (o.status === 'success' ? o : undefined);
  const rows = await queryPrepared<{ id: string | number; batch_job_id: string }>(
    db,
    'sched_complete_tasks',
    sql`with input as (
          select * from unnest(
            ${column((c) => c.taskId)}::bigint[], ${column((c) => c.runDate)}::date[],
            ${column((_, ok) => ok)}::boolean[],
            ${column((c) => c.now.toISOString())}::timestamptz[], ${column((c) => c.outcome.model)}::text[],
            ${column((c) => success(c.outcome)?.text ?? null)}::text[],
            ${column((c) => error(c.outcome)?.message.slice(0, 2000) ?? null)}::text[],
            ${column((c) => error(c.outcome)?.errorClass ?? null)}::text[],
            ${column((c) => Math.round(c.outcome.latencyMs))}::int[],
            ${column((c) => success(c.outcome)?.tokensIn ?? null)}::int[],
            ${column((c) => success(c.outcome)?.tokensOut ?? null)}::int[]
          ) as i(id, run_date, ok, at, model, text, error, error_class, latency_ms, tokens_in, tokens_out)
        ),
        t as (
          update batch_tasks b
          set status = case when i.ok then 'completed' else 'failed' end, completed_at = i.at,
              lease_expires_at = null, error_class = i.error_class, last_error = i.error
          from input i
          where b.id = i.id and b.run_date = i.run_date and b.locked_by = ${workerId} and b.status = 'processing'
          returning b.id, b.batch_job_id, b.org_id, b.prompt_id, b.provider, b.run_date, i.ok
        ),
        response as (
          insert into prompt_provider_responses
            (batch_task_id, org_id, prompt_id, provider, model, run_date, run_at, status, response_text,
             error, error_class, latency_ms, tokens_in, tokens_out)
          select t.id, t.org_id, t.prompt_id, t.provider, i.model, t.run_date, i.at,
                 case when i.ok then 'success' else 'error' end, i.text, i.error, i.error_class,
                 i.latency_ms, i.tokens_in, i.tokens_out
          from t join input i on i.id = t.id and i.run_date = t.run_date
        ),
        tally as (
          select batch_job_id, count(*) filter (where ok)::int as ok, count(*) filter (where not ok)::int as failed
          from t group by batch_job_id
        ),
        -- One update per job, not per task; the ids come sorted through the primary key, so two
        -- statements lock shared jobs in the same order and cannot deadlock.
        jobs as (
          update batch_jobs j
          set completed_tasks = j.completed_tasks + (select c.ok from tally c where c.batch_job_id = j.id),
              failed_tasks = j.failed_tasks + (select c.failed from tally c where c.batch_job_id = j.id)
          where j.id = any(array(select batch_job_id from tally))
        ),
        -- A task cancelled while its call was in flight (its provider taken out of service): the
        -- answer is kept for the record, as an error row that no figure counts.
        kept as (
          insert into prompt_provider_responses
            (batch_task_id, org_id, prompt_id, provider, model, run_date, run_at, status, response_text,
             error, error_class, latency_ms, tokens_in, tokens_out)
          select b.id, b.org_id, b.prompt_id, b.provider, i.model, b.run_date, i.at, 'error', i.text,
                 'answered after its task was cancelled: ' || coalesce(b.last_error, 'cancelled'), 'cancelled',
                 i.latency_ms, i.tokens_in, i.tokens_out
          from batch_tasks b join input i on i.id = b.id
          where b.locked_by = ${workerId} and b.status = 'cancelled'
          on conflict do nothing
        ),
        -- "Until the next success" snoozes of the scopes that just got one end with this commit.
        snoozes_ended as (${endedBySuccess(sql`t`)})
        select id, batch_job_id from t
        union all
        -- This worker's earlier try already landed (its reply was lost to a dropped connection):
        -- nothing else ends a task and leaves locked_by set. Read from the statement's snapshot,
        -- so a task the update above has just ended is not returned twice.
        select b.id, b.batch_job_id from batch_tasks b join input i on i.id = b.id and i.run_date = b.run_date
        where b.locked_by = ${workerId} and b.status in ('completed', 'failed')`,
  );
  const jobs = new Map(rows.map((r) => [Number(r.id), r.batch_job_id]));
  return completions.map((c) => jobs.get(c.taskId));
}
