import { toError } from '../errors.ts';
import type { Logger } from '../logger.ts';

/**
 * The scheduler's Slack deliveries (the report, late alerts, snooze lines), run beside its ticks
 * rather than in them: a Slack that hangs or refuses then holds no step, no tick and no reconcile.
 * One delivery of each kind at a time; a kind still running is not started again, because each
 * delivery works out from PostgreSQL what is owed (claims, unrecorded reports), so the next tick
 * posts whatever this one could not. Failures are logged, never thrown.
 */
export interface Deliveries {
  run(kind: string, work: () => Promise<unknown>): void;
  /** Resolves when every delivery in flight has ended (before the database closes). */
  settled(): Promise<void>;
}

export function createDeliveries(logger: Pick<Logger, 'error'>): Deliveries {
  const running = new Map<string, Promise<void>>();
  return {
    run(kind, work) {
      if (running.has(kind)) return;
      const delivery = Promise.resolve()
        .then(work)
        .then(
          () => undefined,
          (error: unknown) =>
            logger.error(
              { err: toError(error), delivery: kind },
              'Slack delivery failed; the next tick tries again',
            ),
        )
        .finally(() => running.delete(kind));
      running.set(kind, delivery);
    },
    async settled() {
      while (running.size > 0) await Promise.allSettled([...running.values()]);
    },
  };
}
