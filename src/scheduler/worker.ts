import { randomBytes } from 'node:crypto';
import { setMaxListeners } from 'node:events';
import { hostname } from 'node:os';
import type { Deps } from '../context.ts';
import type { Database } from '../db/client.ts';
import { toError } from '../errors.ts';
import { listProviderSettings } from '../providers/provider-settings.ts';
import type { ProviderAdapter, ProviderName } from '../providers/types.ts';
import {
  type ClaimableProvider,
  type ClaimedTask,
  claimableProviders,
  claimTasks,
} from '../queue/claim-tasks.ts';
import { closeJobs } from '../queue/close-jobs.ts';
import { type Completion, completeTasks } from '../queue/complete-task.ts';
import { expireLeases } from '../queue/expire-leases.ts';
import { countLiveTasks } from '../queue/live-tasks.ts';
import { PACING_MIN_WAIT_MS } from '../queue/rate-limit.ts';
import { DEFAULT_IDLE_POLLS, idleSleepMs, listenForTasks } from '../queue/wake-up.ts';
import { startWorkerHeartbeat } from '../store/workers.ts';
import { sleep, withDeadline } from '../time/waits.ts';
import { Batcher } from './batcher.ts';
import { startJobCloser } from './job-closer.ts';
import { runTask, type TaskResult, type TaskRunner, type WorkerResultEvent } from './run-task.ts';

/**
 * The worker loop: keeps up to `concurrency` tasks in flight, claiming as slots
 * free up. Idle, it sleeps until NOTIFY announces tasks, polling ever less often (wake-up.ts):
 * a few statements a minute between nights. Any number of processes may run it against one database.
 * Database failures (a restart, a network cut) are logged and retried after a pause; the loop
 * never crashes and never loses a task: whatever it cannot finish stays leased, and the
 * reconciler or any worker requeues it when the lease runs out. Every worker returns expired
 * leases to the queue (when its heartbeat, at start and then every `heartbeatMs`, finds one run
 * out, and at once when a drain waits only on them), so a deployment of `sched worker`
 * processes alone recovers a dead worker's tasks.
 */

export type { WorkerResultEvent };

export interface WorkerOptions {
  adapters: Map<ProviderName, ProviderAdapter>;
  workerId?: string;
  concurrency: number;
  /** Resolve `done` once no live task remains (see live-tasks.ts for what counts). */
  drain?: boolean;
  /** Draining: leave the tasks of a provider paused for auth or quota instead of waiting for it. */
  skipPaused?: boolean;
  onResult?: (event: WorkerResultEvent) => void;
  /**
   * A task this worker held ended (succeeded or failed for good), told once the close of its job
   * that followed has run: see refresh-night.ts.
   */
  onTaskFinished?: (task: ClaimedTask) => void;
  /** Sleep between claims while work flows (the last claim found tasks, or slots wait for a batch). */
  pollIntervalMs?: number;
  /** Idle (the last claim found nothing): first sleep of the back-off, and the poll without LISTEN. */
  idlePollMs?: number;
  /** Longest idle sleep while LISTEN is in place. */
  maxIdlePollMs?: number;
  /** First pause before listening again after the LISTEN connection dropped (doubles up to 30 s). */
  listenRetryMs?: number;
  /** The last claim found nothing: the worker sleeps up to `ms` unless woken. */
  onIdle?: (ms: number) => void;
  /** How long stop() lets in-flight calls finish before dropping and releasing them. */
  graceMs?: number;
  /** First pause after a failed database call; doubles up to 15 s. */
  dbRetryMs?: number;
  /** Jitter source for backoff; tests pin it. */
  random?: () => number;
  /**
   * Interval of the `workers` row heartbeat (worker-heartbeat.ts), a minute by default; each
   * beat also looks for expired leases (any worker's) and sweeps them back to the queue.
   */
  heartbeatMs?: number;
}

export interface WorkerSummary {
  workerId: string;
  claimed: number;
  succeeded: number;
  failed: number;
  retried: number;
  /** Handed back to pending without using an attempt (shutdown, a pause learnt mid-claim). */
  released: number;
  /** Results dropped because the task was no longer held (lease expired) or could not be written. */
  lost: number;
}

export interface WorkerHandle {
  workerId: string;
  stop(): Promise<void>;
  done: Promise<WorkerSummary>;
}

const PROVIDER_CACHE_MS = 1_000;
const PROVIDER_WATCH_MS = 2_000;
const MAX_DB_RETRY_MS = 15_000;

export const defaultWorkerId = () => `${hostname()}:${process.pid}:${randomBytes(3).toString('hex')}`;

/** `database` lets the worker LISTEN for new tasks; without it, it polls every `idlePollMs`. */
export type WorkerDeps = Pick<Deps, 'db' | 'config' | 'logger' | 'clock'> & {
  database?: Pick<Database, 'listen'>;
};

export function startWorker(deps: WorkerDeps, options: WorkerOptions): WorkerHandle {
  const workerId = options.workerId ?? defaultWorkerId();
  const logger = deps.logger.child({ workerId });
  const names = [...options.adapters.keys()];
  const pollMs = options.pollIntervalMs ?? 250;
  const idlePolls = {
    idlePollMs: options.idlePollMs ?? DEFAULT_IDLE_POLLS.idlePollMs,
    maxIdlePollMs: options.maxIdlePollMs ?? DEFAULT_IDLE_POLLS.maxIdlePollMs,
  };
  const dbRetryMs = options.dbRetryMs ?? 1_000;
  const leaseMs = deps.config.worker.leaseSeconds * 1000;
  const summary: WorkerSummary = {
    workerId,
    claimed: 0,
    succeeded: 0,
    failed: 0,
    retried: 0,
    released: 0,
    lost: 0,
  };
  const inFlight = new Set<Promise<void>>();
  // Tasks whose provider call has not ended: the concurrency bounds these. A task whose call has
  // ended frees its slot while its completion commits (batched), so the next claim overlaps that
  // write instead of waiting for it; at most another `concurrency` tasks wait so.
  const calling = new Set<ClaimedTask>();
  const wake = new Wakeup();
  const shutdown = new AbortController();
  // Every call in flight listens for the shutdown: as many listeners as the concurrency.
  setMaxListeners(0, shutdown.signal);
  let stopping = false;
  let hardStop = false;

  // Completions that come close together are written in one statement, and so are the closes
  // of their jobs, in the background (job-closer.ts).
  const completions = new Batcher<Completion, string | undefined>((items) =>
    completeTasks(deps.db, { workerId, completions: items }),
  );
  const closer = startJobCloser((jobIds) => closeJobs(deps.db, { now: deps.clock(), jobIds }), {
    logger,
    retryMs: dbRetryMs,
  });

  // One signal per provider for its calls in flight, aborted when the provider is disabled.
  const outOfService = new Map<ProviderName, AbortController>();
  const runner: TaskRunner = {
    outOfService(provider) {
      let controller = outOfService.get(provider);
      if (!controller) {
        controller = new AbortController();
        setMaxListeners(0, controller.signal);
        outOfService.set(provider, controller);
      }
      return controller.signal;
    },
    deps: { db: deps.db, clock: deps.clock, logger },
    workerId,
    // A call must end well inside its lease, or another worker could take the task meanwhile.
    timeoutMs: Math.min(deps.config.worker.providerTimeoutMs, Math.max(1_000, leaseMs - 5_000)),
    random: options.random ?? Math.random,
    shutdown: shutdown.signal,
    localPauses: new Map(),
    stalePauses: new Set(),
    onResult: options.onResult,
    complete: (completion) => completions.submit(completion),
    closeJob: (jobId, task) => closer.add(jobId, () => options.onTaskFinished?.(task)),
    callEnded(task) {
      if (calling.delete(task)) wake.notify();
    },
    async persist(task, what, write) {
      for (let failures = 1; ; failures++) {
        try {
          return await write();
        } catch (error) {
          // Measured on this process's monotonic clock from the claim: a wrong wall clock cannot
          // end the lease early (dropping a result) or late.
          const leaseOver = performance.now() >= task.heldUntil;
          logger.error({ err: toError(error), taskId: task.id, what }, 'database write failed');
          // Past the lease the fence would refuse anyway; a sweep (any worker, the reconciler) takes it.
          if (leaseOver || (hardStop && failures >= 3)) return undefined;
          await sleep(Math.min(MAX_DB_RETRY_MS, dbRetryMs * 2 ** (failures - 1)));
        }
      }
    },
  };

  const start = (task: ClaimedTask) => {
    calling.add(task);
    const adapter = options.adapters.get(task.provider);
    const run = (adapter ? runTask(runner, { adapter, task }) : Promise.resolve<TaskResult>('lost'))
      .catch((error): TaskResult => {
        logger.error({ err: toError(error), taskId: task.id }, 'task run failed; its lease will expire');
        return 'lost';
      })
      .then((result) => {
        summary[result] += 1;
      });
    const tracked = run.finally(() => {
      calling.delete(task);
      inFlight.delete(tracked);
      wake.notify();
    });
    inFlight.add(tracked);
  };

  let providers: { at: number; list: ClaimableProvider[] } = { at: -Infinity, list: [] };
  let rotation = 0;

  /** Expired leases of any worker back to the queue; jobs they leave with nothing live are closed. */
  async function sweepLeases(): Promise<void> {
    const expired = await expireLeases(deps.db);
    if (expired.requeued + expired.failed === 0) return;
    logger.warn(expired, 'returned expired leases to the queue (a worker stopped responding)');
    if (expired.failed > 0) await closeJobs(deps.db, { now: deps.clock() });
    wake.notify();
  }

  async function claimRound(free: number): Promise<{ claimed: number; pacedForMs?: number }> {
    const now = deps.clock();
    if (now.getTime() - providers.at > PROVIDER_CACHE_MS) {
      providers = { at: now.getTime(), list: await claimableProviders(deps.db, names) };
      for (const p of providers.list) if (p.stalePauseReason) runner.stalePauses.add(p.name);
    }
    const ready = providers.list.filter((p) => (runner.localPauses.get(p.name) ?? 0) <= now.getTime());
    if (ready.length === 0) return { claimed: 0 };
    const offset = rotation++ % ready.length;
    const ordered = [...ready.slice(offset), ...ready.slice(0, offset)];
    const { tasks, pacedForMs } = await claimTasks(deps.db, {
      workerId,
      providers: ordered,
      limit: free,
      leaseSeconds: deps.config.worker.leaseSeconds,
    });
    summary.claimed += tasks.length;
    for (const task of tasks) start(task);
    return { claimed: tasks.length, pacedForMs };
  }

  /** true when a draining worker has nothing left to wait for. */
  async function drained(): Promise<boolean> {
    const live = await countLiveTasks(deps.db, { providers: names, skipPaused: options.skipPaused });
    // A dead worker's tasks: no need to wait for the next sweep.
    if (live.expiredLeases > 0) await sweepLeases();
    return live.live === 0;
  }

  // Announced tasks (or a change of the LISTEN connection) end an idle sleep and its back-off.
  let announced = false;
  const listener = deps.database
    ? listenForTasks(deps.database.listen, {
        logger,
        retryMs: options.listenRetryMs,
        wake: () => {
          announced = true;
          wake.notify();
        },
      })
    : undefined;

  async function loop(): Promise<void> {
    let dbFailures = 0;
    // Claims go in batches: a slot freed while most are busy waits for a few more (or the poll),
    // so a round's fixed cost (one transaction) is shared by several tasks.
    const batchMin = Math.max(1, Math.floor(options.concurrency / 4));
    let polled = true;
    // Claim rounds in a row that found nothing: the idle back-off.
    let emptyRounds = 0;
    while (!stopping) {
      try {
        const free = Math.min(options.concurrency - calling.size, 2 * options.concurrency - inFlight.size);
        const due = free >= batchMin || inFlight.size === 0 || polled;
        const tried = free > 0 && due;
        const { claimed, pacedForMs } = tried ? await claimRound(free) : { claimed: 0 };
        dbFailures = 0;
        // Tasks held back by the pacing alone are work, not an empty queue: nothing announces
        // the moment the pacing lets them through, so look again then.
        if (claimed > 0 || pacedForMs !== undefined) emptyRounds = 0;
        else if (tried) emptyRounds += 1;
        // Every free slot filled: there may be more at once. Otherwise wait for a slot or a poll.
        if (claimed > 0 && claimed === free) continue;
        if (options.drain && inFlight.size === 0 && claimed === 0 && (await drained())) break;
        let sleep = pollMs;
        if (pacedForMs !== undefined) sleep = Math.min(pollMs, Math.max(PACING_MIN_WAIT_MS, pacedForMs));
        else if (emptyRounds > 0) {
          sleep = idleSleepMs(emptyRounds, listener?.listening() ?? false, idlePolls);
          options.onIdle?.(sleep);
        }
        polled = (await wake.wait(sleep)) === 'timeout';
        if (announced) {
          announced = false;
          emptyRounds = 0;
        }
      } catch (error) {
        dbFailures += 1;
        const pause = Math.min(MAX_DB_RETRY_MS, dbRetryMs * 2 ** (dbFailures - 1));
        logger.error({ err: toError(error), retryInMs: pause }, 'worker database call failed; retrying');
        await wake.wait(pause);
      }
    }
    if (inFlight.size > 0) {
      const grace = options.graceMs ?? 20_000;
      logger.info({ inFlight: inFlight.size, graceMs: grace }, 'worker stopping: letting calls finish');
      const all = Promise.all(inFlight);
      if (
        !(await withDeadline(
          all.then(() => true),
          grace,
          () => false,
        ))
      ) {
        hardStop = true;
        shutdown.abort();
        await all;
      }
    }
  }

  logger.info(
    { concurrency: options.concurrency, providers: names, drain: Boolean(options.drain) },
    'worker started',
  );
  // The sweep runs when a heartbeat (its own timer: an idle worker sleeps long, a busy one must
  // not wait for a quiet moment) finds a lease run out. One sweep at a time.
  let sweeping = Promise.resolve();
  const sweep = () => {
    sweeping = sweeping.then(() =>
      sweepLeases().catch((error: unknown) =>
        logger.error({ err: toError(error) }, 'lease sweep failed; the next beat tries again'),
      ),
    );
  };
  const heartbeat = startWorkerHeartbeat(
    { db: deps.db, logger },
    { worker: { workerId, providers: names }, intervalMs: options.heartbeatMs, onLeasesExpired: sweep },
  );
  // While calls are in flight, a provider taken out of service has them cut (its tasks were
  // cancelled in the statement that disabled it); an answer that lands anyway is kept, not counted.
  let watching = false;
  const providerWatch = setInterval(() => {
    if (watching || calling.size === 0) return;
    watching = true;
    listProviderSettings(deps.db)
      .then((settings) => {
        for (const s of settings) {
          if (s.enabled) continue;
          outOfService.get(s.name)?.abort();
          outOfService.delete(s.name);
        }
      })
      .catch((error: unknown) => logger.warn({ err: toError(error) }, 'could not read the providers'))
      .finally(() => {
        watching = false;
      });
  }, PROVIDER_WATCH_MS);
  providerWatch.unref();
  const done = loop().then(async () => {
    clearInterval(providerWatch);
    await heartbeat.stop();
    await sweeping;
    await listener?.close();
    await closer.settled();
    logger.info(summary, 'worker finished');
    return { ...summary };
  });

  return {
    workerId,
    done,
    async stop() {
      stopping = true;
      wake.notify();
      await done;
    },
  };
}

/**
 * A sleep that notify() cuts short: a finished task or stop() wakes the loop at once. A notify
 * while nobody waits is kept, so a task finishing during a claim round is not missed.
 */
class Wakeup {
  private waiters = new Set<() => void>();
  private pending = false;

  wait(ms: number): Promise<'notified' | 'timeout'> {
    if (this.pending) {
      this.pending = false;
      return Promise.resolve('notified');
    }
    return new Promise((resolve) => {
      const done = (how: 'notified' | 'timeout') => {
        clearTimeout(timer);
        this.waiters.delete(notified);
        resolve(how);
      };
      const notified = () => done('notified');
      const timer = setTimeout(() => done('timeout'), ms);
      this.waiters.add(notified);
    });
  }

  notify(): void {
    if (this.waiters.size === 0) this.pending = true;
    for (const waiter of [...this.waiters]) waiter();
  }
}
