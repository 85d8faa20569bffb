import { hostname } from 'node:os';
import { param, sql } from 'drizzle-orm';
import type { Deps } from '../context.ts';
import { type Db, queryOne, queryRows } from '../db/client.ts';
import { toError } from '../errors.ts';
import type { ProviderName } from '../providers/types.ts';
import { withDeadline } from '../time/waits.ts';

/**
 * Which worker processes are alive and which providers each can call. A worker
 * upserts its row every HEARTBEAT_MS and deletes it on a clean stop; a row whose heartbeat is
 * older than LIVE_SECONDS (database clock) belongs to a dead or stuck worker. Status and health
 * use it to say when no live worker can call an enabled provider: tasks would wait for ever.
 *
 * The beat is also a worker's lease watch: the same statement says whether any worker's lease
 * has run out, and only then does the worker sweep (expire-leases.ts). So an idle worker's upkeep is
 * one statement a minute, not a beat and a sweep on two timers.
 */

export const HEARTBEAT_MS = 60_000;
/** Two and a half beats: one beat late (a slow database, a busy event loop) is not death. */
export const LIVE_SECONDS = 150;
/** Rows of workers that died without a clean stop are forgotten after a day. */
const FORGET_AFTER = sql`interval '1 day'`;

export interface WorkerRegistration {
  workerId: string;
  providers: readonly ProviderName[];
  hostname?: string;
  pid?: number;
}

/**
 * Insert or refresh this worker's row (heartbeat_at = now() on the database clock). Returns
 * whether a task's lease (any worker's) has run out on that clock: a read of the processing
 * tasks' partial index, in the same statement.
 */
export async function beatWorker(db: Db, worker: WorkerRegistration): Promise<{ leasesExpired: boolean }> {
  const row = await queryOne<{ leasesExpired: boolean }>(
    db,
    sql`with beat as (
          insert into workers (id, hostname, pid, providers)
          values (${worker.workerId}, ${worker.hostname ?? hostname()}, ${worker.pid ?? process.pid}::int,
                  ${param([...worker.providers])}::text[])
          on conflict (id) do update set heartbeat_at = now(), providers = excluded.providers
          returning 1
        )
        -- A data-modifying CTE runs whether or not it is read.
        select exists (select 1 from batch_tasks where status = 'processing' and lease_expires_at < now())
                 as "leasesExpired"`,
  );
  return { leasesExpired: row?.leasesExpired === true };
}

export async function removeWorker(db: Db, workerId: string): Promise<void> {
  await db.execute(sql`delete from workers where id = ${workerId} or heartbeat_at < now() - ${FORGET_AFTER}`);
}

export interface WorkerHeartbeat {
  /** Stops the beats and removes the row (waits at most a few seconds for the database). */
  stop(): Promise<void>;
}

export interface HeartbeatParams {
  worker: WorkerRegistration;
  intervalMs?: number | undefined;
  /** A beat found a lease run out: the worker sweeps (it never throws into the beat). */
  onLeasesExpired: () => void;
}

/**
 * Beats at once, then every `intervalMs`, on its own timer so a worker busy with long calls
 * still counts as alive. A failed beat is logged and the next one tries again: it never throws.
 */
export function startWorkerHeartbeat(
  deps: Pick<Deps, 'db' | 'logger'>,
  params: HeartbeatParams,
): WorkerHeartbeat {
  const { worker, intervalMs = HEARTBEAT_MS, onLeasesExpired } = params;
  let current: Promise<void> = Promise.resolve();
  let warned = false;
  const beat = () => {
    current = current.then(() =>
      beatWorker(deps.db, worker).then(
        ({ leasesExpired }) => {
          warned = false;
          if (leasesExpired) onLeasesExpired();
        },
        (error) => {
          if (!warned) deps.logger.warn({ err: toError(error) }, 'worker heartbeat failed; retrying');
          warned = true;
        },
      ),
    );
  };
  beat();
  const timer = setInterval(beat, intervalMs);
  timer.unref();
  return {
    async stop() {
      clearInterval(timer);
      const removed = current.then(() => removeWorker(deps.db, worker.workerId));
      const outcome = await withDeadline(
        removed.then(
          () => 'removed' as const,
          (error: unknown) => toError(error),
        ),
        3_000,
        () => 'late' as const,
      );
      if (outcome !== 'removed') {
        deps.logger.warn(
          { err: outcome === 'late' ? undefined : outcome, workerId: worker.workerId },
          'could not remove the worker row; it goes stale on its own',
        );
      }
    },
  };
}

export interface ProviderWorkers {
  provider: ProviderName;
  enabled: boolean;
  /** Live workers (heartbeat within LIVE_SECONDS) that can call this provider. */
  liveWorkers: number;
}

/** Every provider row with the number of live workers that can call it. */
export async function providerWorkers(db: Db): Promise<ProviderWorkers[]> {
  const rows = await queryRows<{ provider: ProviderName; enabled: boolean; live_workers: number }>(
    db,
    sql`select p.name as provider, p.enabled,
               (select count(*)::int from workers w
                where p.name = any (w.providers)
                  and w.heartbeat_at > now() - make_interval(secs => ${LIVE_SECONDS})) as live_workers
        from providers p order by p.name`,
  );
  return rows.map((r) => ({ provider: r.provider, enabled: r.enabled, liveWorkers: r.live_workers }));
}

/** Enabled providers that no live worker can call: their tasks would stay pending. */
export async function providersWithoutLiveWorker(db: Db): Promise<ProviderName[]> {
  return (await providerWorkers(db)).filter((p) => p.enabled && p.liveWorkers === 0).map((p) => p.provider);
}
