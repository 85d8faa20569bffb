import { setImmediate as nextTurn } from 'node:timers/promises';
import type { PGlite } from '@electric-sql/pglite';

/**
 * PGlite runs each statement synchronously on the event loop and hands its lock to the next queued
 * statement in microtasks, so a queue of statements would starve sockets and timers (a Slack ack
 * is due within 3 s). Statements here run one at a time, and once they have run for TURN_EVERY_MS
 * since the last turn, the next waits for a turn of the event loop. A transaction is one turn.
 * Why every few milliseconds and not before each statement: BENCHMARKS.md.
 */
const TAKING_TURNS = new Set<PropertyKey>(['query', 'exec', 'transaction']);
export const TURN_EVERY_MS = 5;

export function withEventLoopTurns(client: PGlite): PGlite {
  let tail: Promise<unknown> = Promise.resolve();
  let lastTurn = performance.now();
  const inTurn = <T>(run: () => Promise<T>): Promise<T> => {
    const result = tail.then(async () => {
      if (performance.now() - lastTurn >= TURN_EVERY_MS) {
        await nextTurn();
        lastTurn = performance.now();
      }
      return run();
    });
    tail = result.catch(() => undefined);
    return result;
  };
  return new Proxy(client, {
    get(target, key) {
      const value: unknown = Reflect.get(target, key, target);
      if (typeof value !== 'function') return value;
      // PGlite keeps its state in private fields: its methods must run on the client itself.
      const method = (value as (...args: unknown[]) => unknown).bind(target);
      if (!TAKING_TURNS.has(key)) return method;
      return (...args: unknown[]) => inTurn(async () => method(...args));
    },
  });
}
