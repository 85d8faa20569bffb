import { type SQL, sql } from 'drizzle-orm';
import type { Db, Listen } from '../db/client.ts';
import { toError } from '../errors.ts';
import type { Logger } from '../logger.ts';

/**
 * How idle workers sleep and wake. Every path that makes tasks claimable (a fan-out,
 * a release, a requeued lease, a provider pause) sends NOTIFY on one channel in the transaction
 * that does it, so the message arrives when the tasks are there to claim. A worker listening
 * wakes at once; one that found nothing backs off from 2 s to a minute between polls (polls then
 * only catch what nobody announces: a full rate window reopening, a provider enabled by hand).
 * While its LISTEN connection is down it polls every 2 s, as graphile-worker and pg-boss do.
 *
 * The payload is how many milliseconds from now the tasks become claimable ('0' for at once): a
 * retry pushed back 30 s wakes every listener in 30 s, not at its next poll.
 */

export const TASKS_CHANNEL = 'sched_tasks';

/**
 * `pg_notify` of tasks claimable `delayMs` from now: goes in the statement that makes them so,
 * and is delivered when its transaction commits (never before the tasks are visible). `until`
 * instead: a timestamptz expression of that statement (a pause's end).
 */
export function announceTasks(delayMs = 0): SQL {
  return sql`pg_notify(${TASKS_CHANNEL}, ${String(Math.max(0, Math.ceil(delayMs)))})`;
}

export function announceTasksAt(until: SQL): SQL {
  return sql`pg_notify(${TASKS_CHANNEL},
    greatest(0, ceil(extract(epoch from (${until}) - now()) * 1000))::bigint::text)`;
}

/** announceTasks as a statement of its own, for a transaction that has several. */
export async function notifyTasks(db: Db, delayMs = 0): Promise<void> {
  await db.execute(sql`select ${announceTasks(delayMs)}`);
}

export interface IdlePolls {
  /** First sleep after a claim that found nothing, and the poll while not listening. */
  idlePollMs: number;
  /** Longest sleep while listening. */
  maxIdlePollMs: number;
}

export const DEFAULT_IDLE_POLLS: IdlePolls = { idlePollMs: 2_000, maxIdlePollMs: 60_000 };

/**
 * Pure: the sleep after `emptyRounds` claims in a row found nothing (1 or more). Doubles while
 * NOTIFY can wake the worker; without it, a fixed poll is all that finds new tasks.
 */
export function idleSleepMs(emptyRounds: number, listening: boolean, polls: IdlePolls): number {
  if (!listening) return polls.idlePollMs;
  const doubled = polls.idlePollMs * 2 ** Math.max(0, emptyRounds - 1);
  return Math.max(polls.idlePollMs, Math.min(polls.maxIdlePollMs, doubled));
}

export interface TaskListener {
  /** true while LISTEN is in place: NOTIFY reaches this process. */
  listening(): boolean;
  close(): Promise<void>;
}

export interface TaskListenerOptions {
  logger: Logger;
  /** Tasks may be claimable now: announced, due after a delay, or possibly missed while not listening. */
  wake: () => void;
  /** First pause before listening again after the connection dropped; doubles up to 30 s. */
  retryMs?: number;
}

const MAX_RETRY_MS = 30_000;
/** Delayed wake-ups kept at once; beyond it the back-off cap still bounds the wait. */
const MAX_PENDING_DUES = 1_000;
/** Dues this close together share one timer (a burst of retries with jittered delays). */
const DUE_GRANULARITY_MS = 250;

/**
 * LISTEN on TASKS_CHANNEL, listening again after the connection drops (a database restart, a
 * killed backend) with a growing pause. Every change of state wakes the worker: when listening
 * stops it must fall back to short polls now, not at the end of a long sleep; when it resumes,
 * announcements sent meanwhile were lost, so one claim round looks for them.
 */
export function listenForTasks(listen: Listen, options: TaskListenerOptions): TaskListener {
  const retryMs = options.retryMs ?? 1_000;
  let unlisten: (() => Promise<void>) | undefined;
  let closed = false;
  let failures = 0;
  let retryTimer: NodeJS.Timeout | undefined;
  const dues = new DueTimes(options.wake);

  const onNotify = (payload: string) => {
    const delay = Number(payload);
    if (Number.isFinite(delay) && delay > 0) dues.add(performance.now() + delay);
    else options.wake();
  };

  const retry = () => {
    const pause = Math.min(MAX_RETRY_MS, retryMs * 2 ** failures);
    failures += 1;
    retryTimer = setTimeout(() => void start(), pause);
    retryTimer.unref();
  };

  const onLost = (error: Error) => {
    unlisten = undefined;
    if (closed) return;
    options.logger.warn({ err: error }, 'LISTEN connection lost: polling until it is back');
    options.wake();
    retry();
  };

  async function start(): Promise<void> {
    if (closed) return;
    try {
      const stop = await listen(TASKS_CHANNEL, onNotify, onLost);
      if (closed) return void (await stop());
      unlisten = stop;
      if (failures > 0) options.logger.info('LISTEN connection back: idle polls back off again');
      failures = 0;
      options.wake();
    } catch (error) {
      if (closed) return;
      if (failures === 0)
        options.logger.warn({ err: toError(error) }, 'cannot LISTEN for new tasks: polling meanwhile');
      retry();
    }
  }

  void start();
  return {
    listening: () => unlisten !== undefined,
    async close() {
      closed = true;
      clearTimeout(retryTimer);
      dues.clear();
      const stop = unlisten;
      unlisten = undefined;
      await stop?.();
    },
  };
}

/** Wake-ups at future instants (performance.now()), on one timer for the earliest. */
class DueTimes {
  private dues: number[] = [];
  private timer: NodeJS.Timeout | undefined;

  constructor(private readonly wake: () => void) {}

  add(at: number): void {
    const due = Math.ceil(at / DUE_GRANULARITY_MS) * DUE_GRANULARITY_MS;
    if (this.dues.includes(due) || this.dues.length >= MAX_PENDING_DUES) return;
    this.dues.push(due);
    this.dues.sort((a, b) => a - b);
    this.arm();
  }

  clear(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    this.dues = [];
  }

  private arm(): void {
    clearTimeout(this.timer);
    const [next] = this.dues;
    if (next === undefined) return;
    // setTimeout holds 2^31 - 1 ms at most; a later due just wakes early and is kept.
    const wait = Math.min(2 ** 31 - 1, Math.max(0, next - performance.now()));
    this.timer = setTimeout(() => this.fire(), wait);
    this.timer.unref();
  }

  private fire(): void {
    const now = performance.now();
    this.dues = this.dues.filter((due) => due > now);
    this.arm();
    this.wake();
  }
}
