import { sql } from 'drizzle-orm';
import type { Config } from '../config.ts';
import { type Db, queryRows } from '../db/client.ts';
import { PROVIDER_NAMES, type ProviderName } from './types.ts';

/**
 * Whether this process can call a provider: it has an API key, or a simulated profile stands in
 * for it. Production (Slack credentials, no profile) can never run on simulated answers. This is
 * the process's ability only; whether the provider is expected tonight is the `providers` row.
 */
export function providerMode(config: Config, name: ProviderName): 'real' | 'simulated' | 'disabled' {
  if (config.providers[name].apiKey) return 'real';
  if (config.simulatedProfile) return 'simulated';
  return 'disabled';
}

/**
 * Creates the `providers` rows that do not exist yet, from this process's environment (first
 * run), and never touches an existing row: after that the settings are data, changed only by
 * `sched providers set`. Returns the names of the rows it created.
 */
export async function ensureProviders(db: Db, config: Config): Promise<ProviderName[]> {
  const rows = PROVIDER_NAMES.map((name) => {
    const p = config.providers[name];
    const enabled = providerMode(config, name) !== 'disabled';
    return sql`(${name}, ${enabled}, ${p.model}, ${p.rpm}::int, ${p.maxConcurrency}::int)`;
  });
  const created = await queryRows<{ name: ProviderName }>(
    db,
    sql`insert into providers (name, enabled, model, rpm, max_concurrency)
        values ${sql.join(rows, sql`, `)}
        on conflict (name) do nothing
        returning name`,
  );
  return created.map((r) => r.name).sort();
}
