import { setTimeout as delay } from 'node:timers/promises';

/**
 * The one place that waits: every sleep, timeout and abortable wait of src/ goes through these,
 * built on `timers/promises` and AbortSignal, so no module hand-writes a timer race again.
 */

/** Resolves after `ms`. */
export const sleep = (ms: number): Promise<void> => delay(ms);

/** true after `ms`; false at once when `signal` aborts first (it never rejects). */
export async function waitUnlessAborted(ms: number, signal?: AbortSignal): Promise<boolean> {
  if (signal?.aborted) return false;
  try {
    await delay(ms, undefined, signal ? { signal } : {});
    return true;
  } catch (error) {
    if (signal?.aborted) return false;
    throw error;
  }
}

/**
 * `promise`'s value, or `late()`'s when it has not settled within `ms`: for work that takes no
 * AbortSignal (a database query, a row removal) but must not hold up an answer. The timer never
 * keeps the process alive and is cleared as soon as either side wins.
 */
export async function withDeadline<T, L>(promise: Promise<T>, ms: number, late: () => L): Promise<T | L> {
  const timer = new AbortController();
  const expired = delay(ms, undefined, { signal: timer.signal, ref: false }).then(late);
  // Aborted once the promise wins: that rejection is expected and has nobody to tell.
  expired.catch(() => {});
  try {
    return await Promise.race([promise, expired]);
  } finally {
    timer.abort();
  }
}

/**
 * `work` raced against `signal`: rejects with the signal's reason as soon as it aborts, even when
 * `work` would never settle (an SDK that ignores its signal). The listener is removed after.
 */
export async function unlessAborted<T>(work: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) {
    work.catch(() => undefined);
    throw signal.reason;
  }
  let onAbort: (() => void) | undefined;
  const aborted = new Promise<never>((_, reject) => {
    onAbort = () => reject(signal.reason);
    signal.addEventListener('abort', onAbort, { once: true });
  });
  // Whichever loses the race settles unobserved.
  work.catch(() => undefined);
  try {
    return await Promise.race([work, aborted]);
  } finally {
    if (onAbort) signal.removeEventListener('abort', onAbort);
  }
}

/**
 * Runs `look` now and then every `intervalMs`, one look at a time (a slow look delays the next
 * instead of overlapping it); the timer does not keep the process alive. stop() ends the timer
 * and waits for a look in flight, so the database can close after it.
 */
export function repeatEvery(intervalMs: number, look: () => Promise<unknown>): { stop(): Promise<void> } {
  let looking: Promise<unknown> = Promise.resolve();
  const next = () => {
    looking = looking.then(look);
  };
  next();
  const timer = setInterval(next, intervalMs);
  timer.unref();
  return {
    async stop() {
      clearInterval(timer);
      await looking;
    },
  };
}
