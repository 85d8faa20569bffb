import { toError } from '../errors.ts';
import type { Logger } from '../logger.ts';

/**
 * The running parts of the bot and the order they stop in: no new step starts, workers finish or
 * release their leases, the console and the receiver close, and the database goes last because
 * everything before it may still write. A part that fails to stop is logged; the others still stop.
 */

const STOP_ORDER = [
  'scheduler',
  'nightWatch',
  'workers',
  'console',
  'slack',
  'localSlack',
  'database',
] as const;
export type PartName = (typeof STOP_ORDER)[number];

export interface Shutdown {
  add(name: PartName, stop: () => Promise<unknown> | unknown): void;
  /** Stops everything once, however often it is called; resolves `closed`. */
  stop(reason: string): Promise<void>;
  /** Resolves once every part has stopped. */
  closed: Promise<void>;
}

export function createShutdown(logger: Logger): Shutdown {
  const parts = new Map<PartName, () => Promise<unknown> | unknown>();
  let resolveClosed: () => void = () => {};
  const closed = new Promise<void>((resolve) => {
    resolveClosed = resolve;
  });
  let stopping: Promise<void> | undefined;
  const stopAll = async () => {
    for (const name of STOP_ORDER) {
      const stop = parts.get(name);
      parts.delete(name);
      try {
        await stop?.();
      } catch (error) {
        logger.error({ err: toError(error), part: name }, 'shutdown: part failed to stop');
      }
    }
  };
  return {
    add: (name, stop) => void parts.set(name, stop),
    closed,
    stop(reason) {
      stopping ??= (async () => {
        logger.info({ reason }, 'sched-bot stopping');
        await stopAll();
        resolveClosed();
      })();
      return stopping;
    },
  };
}
