import { sql } from 'drizzle-orm';
import { type Db, queryRows } from '../db/client.ts';
import { shortTransaction } from '../db/transaction.ts';
import type { ProviderName } from '../providers/types.ts';
import type { JobSource } from './enqueue-units.ts';
import { allocateClaims, claimAllowance, lockProviderClaims, providerLoads } from './rate-limit.ts';

/**
 * Claims pending tasks for a worker: `FOR UPDATE SKIP LOCKED`, a lease, attempts + 1, in one
 * short transaction that also enforces each provider's global concurrency and requests per
 * minute (rate-limit.ts). Only tasks whose available_at has come, of enabled
 * providers that are not paused.
 *
 * Every time here is the database's (`now()`), never the worker's clock: lease ends, available_at
 * and pauses are compared by one clock however far apart the machines' clocks are (DESIGN §4).
 * The worker keeps its own view of the lease as a duration on its monotonic clock (`heldUntil`).
 */

export interface ClaimedTask {
  id: number;
  batchJobId: string;
  orgId: string;
  promptId: string;
  provider: ProviderName;
  runDate: string;
  /** Attempts including this one. */
  attempts: number;
  maxAttempts: number;
  /** The lease end on the database clock, for logs: the worker never compares it with its own clock. */
  leaseExpiresAt: Date;
  /**
   * performance.now() by which the lease is surely over: measured from before the claim, so it
   * ends no later than the database's lease.
   */
  heldUntil: number;
  /** The one task let through after a pause ran out: its success clears the pause reason. */
  probe: boolean;
  text: string;
  /** Why the task's job exists (nightly, repair, ...): the simulated providers key on it. */
  source: JobSource;
}

export interface ClaimableProvider {
  name: ProviderName;
  rpm: number;
  maxConcurrency: number;
  /** A pause that has run out but whose reason is still on the row: cleared by the next success. */
  stalePauseReason: string | null;
}

/** Enabled, unpaused providers among `names` (those the worker has adapters for). */
export async function claimableProviders(
  db: Db,
  names: readonly ProviderName[],
): Promise<ClaimableProvider[]> {
  const rows = await queryRows<{
    name: ProviderName;
    rpm: number;
    max_concurrency: number;
    pause_reason: string | null;
  }>(
    db,
    sql`select name, rpm, max_concurrency, pause_reason from providers
        where enabled
          and name in (select jsonb_array_elements_text(${JSON.stringify(names)}::jsonb))
          and (paused_until is null or paused_until <= now())
        order by name`,
  );
  return rows.map((r) => ({
    name: r.name,
    rpm: r.rpm,
    maxConcurrency: r.max_concurrency,
    stalePauseReason: r.pause_reason,
  }));
}

export interface ClaimRequest {
  workerId: string;
  /** Providers to claim from, in the order free slots are handed out (the worker rotates it). */
  providers: ClaimableProvider[];
  limit: number;
  leaseSeconds: number;
}

interface ClaimedRow {
  id: number;
  batch_job_id: string;
  org_id: string;
  prompt_id: string;
  provider: ProviderName;
  run_date: string;
  attempts: number;
  max_attempts: number;
  lease_expires_at: string | Date;
  text: string;
  source: JobSource;
}

/** Claims up to `limit` tasks spread over the providers, each within its global limits. */
export async function claimTasks(db: Db, request: ClaimRequest): Promise<ClaimedTask[]> {
  if (request.providers.length === 0 || request.limit <= 0) return [];
  const heldUntil = performance.now() + request.leaseSeconds * 1000;
  const names = request.providers.map((p) => p.name);
  const { rows, probing } = await shortTransaction(db, async (tx) => {
    await lockProviderClaims(tx, names);
    const loads = new Map((await providerLoads(tx, names, request.limit)).map((l) => [l.name, l]));
    const allocation = allocateClaims(
      request.limit,
      request.providers.map((p) => {
        const load = loads.get(p.name);
        return { name: p.name, allowed: load ? claimAllowance(load, p) : 0 };
      }),
    );
    const probing = new Set([...loads.values()].filter((l) => l.probing).map((l) => l.name));
    if (allocation.size === 0) return { rows: [], probing };
    const claimed = await queryRows<ClaimedRow>(
      tx,
      // VALUES rather than a JSON function: the planner then knows it is a handful of rows and
      // reaches the tasks and prompts through their indexes instead of scanning whole tables.
      sql`with want(provider, n) as (
            values ${sql.join(
              [...allocation].map(([name, n]) => sql`(${name}::text, ${n}::int)`),
              sql`, `,
            )}
          ),
          pick as (
            select x.id from want w
            cross join lateral (
              select t.id from batch_tasks t
              where t.provider = w.provider and t.status = 'pending'
                and t.available_at <= now()
                -- re-checked under the lock: a pause written since the provider list was read wins
                and exists (select 1 from providers p
                            where p.name = t.provider and p.enabled
                              and (p.paused_until is null or p.paused_until <= now()))
              order by t.available_at, t.id
              limit w.n
              for update skip locked
            ) x
          ),
          claimed as (
            update batch_tasks t
            set status = 'processing', locked_by = ${request.workerId}, attempts = t.attempts + 1,
                started_at = now(), lease_expires_at = now() + make_interval(secs => ${request.leaseSeconds})
            from pick where t.id = pick.id
            returning t.id, t.batch_job_id, t.org_id, t.prompt_id, t.provider, t.run_date, t.attempts,
                      t.max_attempts, t.lease_expires_at
          ),
          calls as (
            insert into provider_calls (provider, started_at, worker_id, batch_task_id)
            select provider, clock_timestamp(), ${request.workerId}, id from claimed
          ),
          jobs as (
            update batch_jobs j
            set status = 'processing', started_at = coalesce(j.started_at, now())
            where j.id in (select batch_job_id from claimed) and j.status = 'queued'
          )
          select c.*, p.text, j.source from claimed c join prompts p on p.id = c.prompt_id
          join batch_jobs j on j.id = c.batch_job_id
          order by c.id`,
    );
    return { rows: claimed, probing };
  });
  return rows.map((r) => ({
    id: Number(r.id),
    batchJobId: r.batch_job_id,
    orgId: r.org_id,
    promptId: r.prompt_id,
    provider: r.provider,
    runDate: r.run_date,
    attempts: r.attempts,
    maxAttempts: r.max_attempts,
    leaseExpiresAt: new Date(r.lease_expires_at),
    heldUntil,
    probe: probing.has(r.provider),
    text: r.text,
    source: r.source,
  }));
}
