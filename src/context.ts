import type { Config } from './config.ts';
import type { Db } from './db/client.ts';
import type { Logger } from './logger.ts';

/**
 * The explicit dependencies every service, handler and command is built from:
 * `(deps) => async (args) => ...`. Tests pass real objects; nothing is module-mocked.
 */
export interface Deps {
  db: Db;
  config: Config;
  logger: Logger;
  /** The only source of "now": tests pin it, nothing else calls Date.now() for business logic. */
  clock: () => Date;
}

export const systemClock = (): Date => new Date();
