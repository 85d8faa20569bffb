import { setTimeout as sleep } from 'node:timers/promises';

/**
 * `promise`'s value, or `late()`'s when it has not settled within `ms`: for work that takes no
 * AbortSignal (a database query, a row removal) but must not hold up an answer. The timer never
 * keeps the process alive and is cleared as soon as either side wins.
 */
export async function withDeadline<T, L>(promise: Promise<T>, ms: number, late: () => L): Promise<T | L> {
  const timer = new AbortController();
  const expired = sleep(ms, undefined, { signal: timer.signal, ref: false }).then(late);
  // Aborted once the promise wins: that rejection is expected and has nobody to tell.
  expired.catch(() => {});
  try {
    return await Promise.race([promise, expired]);
  } finally {
    timer.abort();
  }
}
