import { type Config, loadConfig } from '../config.ts';
import { type Deps, systemClock } from '../context.ts';
import { type Database, openDatabase } from '../db/client.ts';
import { migrateDatabase } from '../db/migrate.ts';
import { createLogger, type Logger } from '../logger.ts';
import { ensureProviders } from '../providers/provider-settings.ts';
import { withSimulatedLimits } from '../providers/simulated-limits.ts';
import { ensureQueuePartitions } from '../queue/queue-partitions.ts';
import { runDateOf } from '../time/business-day.ts';

export interface Runtime extends Deps {
  database: Database;
}

export interface RuntimeOptions {
  /** Configuration the caller already loaded (the bot reads it to pick its mode): not loaded twice. */
  config?: Config;
  logger?: Logger;
  configOverrides?: (config: Config) => Config;
  /**
   * Read-only commands (status, history, providers list) change nothing in the database: no
   * provider rows from this shell's environment, no database TimeZone from its SCHED_TIMEZONE.
   * An operator's shell is not the deployment's configuration.
   */
  readOnly?: boolean;
}

/**
 * Config -> database -> migrations -> the business-day TimeZone and any missing provider rows
 * (created from this environment once; existing rows are data, changed by `sched providers set`),
 * and the queue's partitions of today and tomorrow.
 */
export async function openRuntime(
  env: Record<string, string | undefined>,
  options: RuntimeOptions = {},
): Promise<Runtime> {
  let config = withSimulatedLimits(options.config ?? loadConfig(env), env);
  if (options.configOverrides) config = options.configOverrides(config);
  const logger =
    options.logger ?? createLogger({ level: config.logLevel === 'info' ? 'warn' : config.logLevel });
  const database = await openDatabase({
    url: config.databaseUrl,
    pgliteDir: config.pgliteDir,
    poolSize: config.dbPoolSize,
    statementTimeoutMs: config.dbStatementTimeoutMs,
    onPoolError: (error) => logger.warn({ err: error }, 'database connection lost; the pool reconnects'),
  });
  try {
    const migrated = await migrateDatabase(database, {
      timezone: options.readOnly ? undefined : config.timezone,
    });
    if (migrated.timezoneError) {
      logger.warn(
        { timezone: config.timezone, error: migrated.timezoneError },
        "could not set the database's default TimeZone: CURRENT_DATE in psql stays the server's date",
      );
    }
    if (!options.readOnly) {
      const created = await ensureProviders({ db: database.db, config });
      if (created.length > 0)
        logger.info({ providers: created }, 'provider rows created from the environment');
      await ensureQueuePartitions(database.db, runDateOf(systemClock(), config.timezone));
    }
  } catch (error) {
    await database.close();
    throw error;
  }
  return { database, db: database.db, config, logger, clock: systemClock };
}

export async function withRuntime<T>(
  env: Record<string, string | undefined>,
  fn: (runtime: Runtime) => Promise<T>,
  options?: RuntimeOptions,
): Promise<T> {
  const runtime = await openRuntime(env, options);
  try {
    return await fn(runtime);
  } finally {
    await runtime.database.close();
  }
}

/** withRuntime for commands that only read (status, history, providers list): see readOnly. */
export const withReadOnlyRuntime = <T>(
  env: Record<string, string | undefined>,
  fn: (runtime: Runtime) => Promise<T>,
  options?: Omit<RuntimeOptions, 'readOnly'>,
): Promise<T> => withRuntime(env, fn, { ...options, readOnly: true });
