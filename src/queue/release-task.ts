import { sql } from 'drizzle-orm';
import { type Db, queryOne } from '../db/client.ts';
import type { ErrorClass } from '../providers/types.ts';
import { announceTasks } from './wake-up.ts';

/**
 * Puts a held task back to pending: a retryable error (with available_at pushed back), a 429
 * (attempt refunded), or a worker shutting down (attempt refunded, available at once). Fenced
 * like completion: only the worker that still holds the task can release it. The wait is a
 * duration from the database clock, the one claims compare available_at with; the same
 * duration goes to sleeping workers (wake-up.ts), so one of them wakes when the task is due.
 */

export interface ReleaseRequest {
  taskId: number;
  /** The task's night: the statement reads that night's partition only. */
  runDate: string;
  workerId: string;
  /** Available again this long after the database's now() (0: at once). */
  delayMs: number;
  /** true: the claim's attempt does not count (429, shutdown). */
  refundAttempt: boolean;
  errorClass?: ErrorClass;
  lastError?: string;
  /** A failed call being retried: when it failed, kept in retried_at for the night watch. */
  failedAt?: Date;
}

export async function releaseTask(db: Db, request: ReleaseRequest): Promise<boolean> {
  const delayMs = Math.max(0, request.delayMs);
  const row = await queryOne<{ id: number }>(
    db,
    sql`update batch_tasks
        set status = 'pending', locked_by = null, lease_expires_at = null,
            available_at = now() + make_interval(secs => ${delayMs / 1000}),
            attempts = greatest(0, attempts - ${request.refundAttempt ? 1 : 0}::int),
            error_class = coalesce(${request.errorClass ?? null}, error_class),
            last_error = coalesce(${request.lastError?.slice(0, 2000) ?? null}, last_error),
            retried_at = case when ${request.failedAt?.toISOString() ?? null}::timestamptz is null then retried_at
                              else array_append(retried_at, ${request.failedAt?.toISOString() ?? null}::timestamptz) end
        where id = ${request.taskId} and run_date = ${request.runDate}::date and locked_by = ${request.workerId} and status = 'processing'
        returning id, ${announceTasks(delayMs)}`,
  );
  return row !== undefined;
}
