import { sql } from 'drizzle-orm';
import type { Config } from '../config.ts';
import type { Db } from '../db/client.ts';
import { PROVIDER_NAMES, type ProviderName } from './types.ts';

/**
 * Whether a provider takes part tonight: it has an API key, or a simulated profile stands in
 * for it. Production (Slack credentials, no profile) can never run on simulated answers.
 */
export function providerMode(config: Config, name: ProviderName): 'real' | 'simulated' | 'disabled' {
  if (config.providers[name].apiKey) return 'real';
  if (config.simulatedProfile) return 'simulated';
  return 'disabled';
}

/** Writes the configured providers into `providers`, keeping pause rows written by workers. */
export async function syncProviders(db: Db, config: Config): Promise<void> {
  const rows = PROVIDER_NAMES.map((name) => {
    const p = config.providers[name];
    const mode = providerMode(config, name);
    return sql`(${name}, ${mode !== 'disabled'}, ${mode === 'simulated' ? 'simulated' : p.model}, ${p.rpm}::int, ${p.maxConcurrency}::int)`;
  });
  await db.execute(sql`
    insert into providers (name, enabled, model, rpm, max_concurrency)
    values ${sql.join(rows, sql`, `)}
    on conflict (name) do update
      set enabled = excluded.enabled, model = excluded.model, rpm = excluded.rpm,
          max_concurrency = excluded.max_concurrency`);
}
