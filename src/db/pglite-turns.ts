import { setImmediate as nextTurn } from 'node:timers/promises';
import type { PGlite } from '@electric-sql/pglite';

/**
 * PGlite runs each statement synchronously on the event loop, and hands its lock from one queued
 * statement to the next in microtasks: with a worker's 32 slots queued behind each other,
 * statement after statement ran without the event loop getting a turn. Sockets were not read
 * meanwhile, so an HTTP request (a Slack command, due to be acked within 3 s) or a timer waited
 * for the whole queue, not for one statement. Here the calls that run statements (query, exec,
 * transaction) take turns one at a time, as PGlite would run them, and once statements have run
 * for TURN_EVERY_MS since the last turn, the next one starts only after the event loop has had a
 * turn (I/O and timers in between). A turn before every statement cost a whole night on PGlite
 * 5-14 % of its throughput; one every few milliseconds keeps a request's wait to about one
 * statement. A transaction is one turn: its statements run inside it, on PGlite's own object.
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
