import { PGlite } from '@electric-sql/pglite';
import pg from 'pg';

/**
 * Counts the SQL statements this process sends, on either backend, while it is installed:
 * every pg `Client.query` (pooled clients, a LISTEN client, BEGIN and COMMIT included), and
 * every statement PGlite runs (`_runExclusiveQuery` is its one per-statement entry point:
 * `query`, `exec` and each statement of a `transaction` all pass through it). Nothing is
 * replaced: the original runs, the call is counted.
 */

export interface StatementCounter {
  count(): number;
  restore(): void;
}

type Method = (...args: unknown[]) => unknown;

export function countStatements(): StatementCounter {
  let n = 0;
  const restores: (() => void)[] = [];
  const wrap = (target: Record<string, unknown>, name: string) => {
    const original = target[name];
    if (typeof original !== 'function') throw new Error(`cannot count statements: no ${name} to wrap`);
    target[name] = function (this: unknown, ...args: unknown[]) {
      n += 1;
      return (original as Method).apply(this, args);
    };
    restores.push(() => {
      target[name] = original;
    });
  };
  wrap(pg.Client.prototype as unknown as Record<string, unknown>, 'query');
  wrap(PGlite.prototype as unknown as Record<string, unknown>, '_runExclusiveQuery');
  return {
    count: () => n,
    restore: () => {
      for (const restore of restores.splice(0)) restore();
    },
  };
}
