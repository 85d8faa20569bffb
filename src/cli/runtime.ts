import { type Config, loadConfig } from '../config.ts';
import { type Deps, systemClock } from '../context.ts';
import { type Database, openDatabase } from '../db/client.ts';
import { migrateDatabase } from '../db/migrate.ts';
import { createLogger, type Logger } from '../logger.ts';
import { syncProviders } from '../providers/sync-providers.ts';

export interface Runtime extends Deps {
  database: Database;
}

/** Config -> database -> migrations -> providers table: what every database command needs. */
export async function openRuntime(
  env: Record<string, string | undefined>,
  options: { logger?: Logger; configOverrides?: (config: Config) => Config } = {},
): Promise<Runtime> {
  let config = loadConfig(env);
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
  await migrateDatabase(database);
  await syncProviders(database.db, config);
  return { database, db: database.db, config, logger, clock: systemClock };
}

export async function withRuntime<T>(
  env: Record<string, string | undefined>,
  fn: (runtime: Runtime) => Promise<T>,
  options?: Parameters<typeof openRuntime>[1],
): Promise<T> {
  const runtime = await openRuntime(env, options);
  try {
    return await fn(runtime);
  } finally {
    await runtime.database.close();
  }
}
