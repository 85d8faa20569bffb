import { param, sql } from 'drizzle-orm';
import { type Db, queryPrepared, queryRows } from '../db/client.ts';
import type { ProviderName } from '../providers/types.ts';
import type { JobSource } from './enqueue-units.ts';
import { callGap, PACING_LOOKAHEAD_SECONDS, pacedCalls } from './rate-limit.ts';
import { maintenanceHold } from './snooze-holds.ts';

/**
 * Claims pending tasks for a worker: `FOR UPDATE SKIP LOCKED`, a lease, attempts + 1, in one
 * statement that also enforces each provider's global concurrency and paces its calls to its
 * rpm (rate-limit.ts). Only tasks whose available_at has come, of enabled providers that are
 * not paused and not inside a maintenance window (snoozes.ts). Every index it reads is a partial index on live tasks, so its cost follows the
 * night's live tasks, not the history the table holds.
 *
 * Every time here is the database's (`now()`), never the worker's clock: lease ends, available_at
 * and pauses are compared by one clock however far apart the machines' clocks are.
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
  /** Wait this long before calling: the call's turn in its provider's pacing (rate-limit.ts). */
  startInMs: number;
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
          and name = any(${param([...names])}::text[])
          and (paused_until is null or paused_until <= now())
          and not ${maintenanceHold(sql`name`)}
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
  contended: boolean;
  paced_for_ms: number | null;
  id: number | null;
  batch_job_id: string;
  org_id: string;
  prompt_id: string;
  provider: ProviderName;
  run_date: string;
  attempts: number;
  max_attempts: number;
  lease_expires_at: string | Date;
  start_in_ms: number;
  probe: boolean;
  text: string;
  source: JobSource;
}

/** Statements a round may run when other claims keep changing the providers it wants. */
const MAX_CONTENDED_TRIES = 3;

export interface ClaimResult {
  tasks: ClaimedTask[];
  /**
   * Set when the pacing alone held back tasks that are ready (rate-limit.ts): in how many
   * milliseconds it lets the next call start. Nothing announces that moment, so a worker that
   * claimed nothing must look again then, not back off as if the queue were empty.
   */
  pacedForMs: number | undefined;
}

/** Claims up to `limit` tasks spread over the providers, each within its global limits. */
export async function claimTasks(db: Db, request: ClaimRequest): Promise<ClaimResult> {
  const claimed: ClaimedTask[] = [];
  let pacedForMs: number | undefined;
  for (let tries = 1; tries <= MAX_CONTENDED_TRIES && claimed.length < request.limit; tries++) {
    const round = await claimOnce(db, { ...request, limit: request.limit - claimed.length });
    claimed.push(...round.tasks);
    pacedForMs = round.pacedForMs;
    if (!round.contended) break;
  }
  return { tasks: claimed, pacedForMs };
}

/**
 * One claim statement. Its steps, in the order the data flows:
 * want     the providers asked for, in the worker's rotation order;
 * locked   their rows, locked in name order, if enabled and not paused (latest version);
 * limits   per provider: the clock read after the lock, the pacing base, whether the row is the
 *          one this statement's snapshot saw (`fresh`, see rate-limit.ts), the concurrency;
 * room     per provider: ready tasks, concurrency left, calls the pacing allows;
 * allowed  per provider: the least of the three (none if the row changed, `fresh`);
 * alloc    `limit` slots handed out in turn over the providers, each up to what it is allowed;
 * pick     that many pending tasks of each, oldest first, skipping those another claim holds;
 * claimed  the lease; each task's started_at is its planned start in the pacing;
 * paced    next_call_at moved past the last planned start;
 * jobs     queued jobs of the claimed tasks marked processing (skipped if another claim does it);
 * relaxed  this transaction's commit does not wait for its WAL flush (see below).
 *
 * Why a claim may commit without waiting for the disk: a claim is a lease, and losing it is
 * already a case the queue handles. Were the database to crash within the fraction of a second
 * before the WAL writer flushes it, the task would come back pending as it was (no attempt
 * spent): the worker's completion is then refused by its fence (status and locked_by), and the
 * task runs again, a repeated call and never a second success. Any later synchronous commit
 * (every completion is one) flushes the WAL up to itself, claims included, so a completion that
 * is durable never stands on a claim that is not. The flush wait was a third of a claim's time
 * at c=8 (BENCHMARKS.md); set_config(..., true) is SET LOCAL: the session keeps its setting.
 */
async function claimOnce(db: Db, request: ClaimRequest): Promise<ClaimResult & { contended: boolean }> {
  if (request.providers.length === 0 || request.limit <= 0)
    return { tasks: [], contended: false, pacedForMs: undefined };
  const heldUntil = performance.now() + request.leaseSeconds * 1000;
  const names = sql.param(request.providers.map((p) => p.name));
  const gap = callGap(sql`l.rpm`);
  const rows = await queryPrepared<ClaimedRow>(
    db,
    'sched_claim_tasks',
    // Every step reaches its rows by primary key or a partial index on live tasks, through
    // nested loops the planner keeps whatever the statistics say (see the EXPLAIN in the commit).
    sql`with want as (select * from unnest(${names}::text[]) with ordinality as w(name, ord)),
        -- The limit read through a subquery: planned as unknown whatever its value, so the plan
        -- cache's generic plan is as cheap as a custom one and is kept (no planning per claim).
        ask as (select ${request.limit}::int as lim),
        seen as (
          select p.name, p.xmin::text as version from providers p where p.name in (select name from want)
        ),
        locked as materialized (
          select p.name, p.rpm, p.max_concurrency, p.pause_reason, p.next_call_at, p.xmin::text as version
          from providers p
          where p.name in (select name from want) and p.enabled
            and (p.paused_until is null or p.paused_until <= now())
            -- A maintenance window: no calls, the tasks wait (pending, no attempt spent).
            and not ${maintenanceHold(sql`p.name`)}
          order by p.name
          for update
        ),
        clocked as materialized (
          select l.*, clock_timestamp() as clock, ${gap} as gap from locked l
        ),
        limits as materialized (
          select l.name, w.ord, l.clock, l.gap, greatest(l.next_call_at, l.clock) as base,
                 l.pause_reason is not null as probe,
                 l.version = s.version as fresh,
                 case when l.pause_reason is null then l.max_concurrency else 1 end as concurrency
          from clocked l join want w on w.name = l.name join seen s on s.name = l.name
        ),
        room as materialized (
          select m.name, m.ord, m.fresh, m.base, m.clock,
                 (select count(*)::int from (
                    select 1 from batch_tasks t
                    where t.provider = m.name and t.status = 'pending' and t.available_at <= now()
                    limit (select lim from ask)) r) as ready,
                 m.concurrency - (select count(*)::int from batch_tasks t
                                  where t.provider = m.name and t.status = 'processing'
                                    and t.lease_expires_at > now()) as slots,
                 ${pacedCalls(sql`m.clock`, sql`m.base`, sql`m.gap`)} as paced
          from limits m
        ),
        allowed as (
          select r.name, r.ord,
                 case when not r.fresh then 0 else greatest(0, least(r.ready, r.slots, r.paced)) end as n
          from room r
        ),
        alloc as (
          select s.name, count(*)::int as n from (
            select a.name from allowed a cross join lateral generate_series(1, a.n) g(i)
            order by g.i, a.ord
            limit (select lim from ask)
          ) s
          group by s.name
        ),
        pick as (
          select x.id, x.run_date, a.name, (row_number() over (partition by a.name order by x.available_at, x.id) - 1)::int as slot
          from alloc a
          cross join lateral (
            select t.id, t.run_date, t.available_at from batch_tasks t
            where t.provider = a.name and t.status = 'pending' and t.available_at <= now()
            order by t.available_at, t.id
            limit a.n
            for update skip locked
          ) x
        ),
        claimed as (
          update batch_tasks t
          set status = 'processing', locked_by = ${request.workerId}, attempts = t.attempts + 1,
              started_at = m.base + make_interval(secs => p.slot * m.gap),
              lease_expires_at = now() + make_interval(secs => ${request.leaseSeconds})
          from pick p join limits m on m.name = p.name
          where t.id = p.id and t.run_date = p.run_date
          returning t.id, t.batch_job_id, t.org_id, t.prompt_id, t.provider, t.run_date, t.attempts,
                    t.max_attempts, t.lease_expires_at, m.probe,
                    extract(epoch from (t.started_at - m.clock))::float8 * 1000 as start_in_ms
        ),
        paced as (
          update providers p
          set next_call_at = m.base + make_interval(secs => c.n * m.gap)
          from (select provider, count(*)::int as n from claimed group by provider) c
          join limits m on m.name = c.provider
          where p.name = c.provider
        ),
        -- Read in the final select: a CTE that only reads runs only when something reads it.
        relaxed as materialized (select set_config('synchronous_commit', 'off', true) as setting),
        jobs as (
          update batch_jobs j
          set status = 'processing', started_at = coalesce(j.started_at, now())
          where j.id = any(array(
            select q.id from batch_jobs q
            where q.id = any(array(select distinct batch_job_id from claimed)) and q.status = 'queued'
            for update skip locked))
        )
        select s.contended, s.paced_for_ms, c.*, (select setting from relaxed) as commit_mode,
               (select p.text from prompts p where p.id = c.prompt_id) as text,
               (select j.source from batch_jobs j where j.id = c.batch_job_id) as source
        from (
          select coalesce(bool_or(not fresh), false) as contended,
                 -- Tasks ready, slots free, and only the pacing holds them back: how long until it
                 -- lets the next call start.
                 (select min(extract(epoch from (r.base - r.clock))::float8 * 1000 - ${PACING_LOOKAHEAD_SECONDS * 1000})
                  from room r where r.fresh and r.ready > 0 and r.slots > 0 and r.paced = 0) as paced_for_ms
          from limits
        ) s
        left join claimed c on true
        order by c.id`,
  );
  const tasks = rows.flatMap((r) =>
    r.id === null
      ? []
      : [
          {
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
            probe: r.probe,
            startInMs: Math.max(0, Math.min(PACING_LOOKAHEAD_SECONDS * 1000, Number(r.start_in_ms))),
            text: r.text,
            source: r.source,
          },
        ],
  );
  const pacedFor = rows[0]?.paced_for_ms;
  return {
    tasks,
    contended: rows[0]?.contended ?? false,
    pacedForMs: pacedFor === null || pacedFor === undefined ? undefined : Math.max(0, Number(pacedFor)),
  };
}
