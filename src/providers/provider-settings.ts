import { sql } from 'drizzle-orm';
import type { Config } from '../config.ts';
import type { Deps } from '../context.ts';
import { type Db, queryOne, queryRows } from '../db/client.ts';
import { shortTransaction } from '../db/transaction.ts';
import { providerMode } from './provider-mode.ts';
import { PROVIDER_NAMES, type ProviderName } from './types.ts';

/**
 * Provider settings are data shared by every process: which providers are enabled,
 * their model, requests per minute and concurrency. Read by anyone; changed only here, by an
 * explicit command, and every change is logged in provider_changes with who made it.
 */

export interface ProviderSettings {
  name: ProviderName;
  enabled: boolean;
  model: string;
  rpm: number;
  maxConcurrency: number;
  pausedUntil: string | null;
  pauseReason: string | null;
}

export interface ProviderSettingsChange {
  enabled?: boolean | undefined;
  model?: string | undefined;
  rpm?: number | undefined;
  maxConcurrency?: number | undefined;
}

interface ProviderRow {
  name: ProviderName;
  enabled: boolean;
  model: string;
  rpm: number;
  max_concurrency: number;
  paused_until: string | null;
  pause_reason: string | null;
}

const SELECT_PROVIDER = sql`select name, enabled, model, rpm, max_concurrency,
    to_char(paused_until at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') as paused_until, pause_reason
  from providers`;

const toSettings = (r: ProviderRow): ProviderSettings => ({
  name: r.name,
  enabled: r.enabled,
  model: r.model,
  rpm: r.rpm,
  maxConcurrency: r.max_concurrency,
  pausedUntil: r.paused_until,
  pauseReason: r.pause_reason,
});

export async function listProviderSettings(db: Db): Promise<ProviderSettings[]> {
  const rows = await queryRows<ProviderRow>(db, sql`${SELECT_PROVIDER} order by name`);
  return rows.map(toSettings);
}

export interface ProviderSettingsUpdate {
  before: ProviderSettings;
  after: ProviderSettings;
  /** Live tasks the change cancelled, per run_date (a provider taken out of service). */
  cancelled: Record<string, number>;
}

/**
 * Work that must commit with the change, inside its transaction (the queue cancelling a disabled
 * provider's live tasks): it returns the tasks cancelled per run_date, logged with the change.
 */
export type AlongsideChange = (tx: Db, after: ProviderSettings) => Promise<Record<string, number>>;

/**
 * Changes one provider's settings and logs the change (who, before, after) in the same short
 * transaction. undefined when the provider has no row.
 */
export async function updateProviderSettings(
  db: Db,
  params: {
    name: ProviderName;
    change: ProviderSettingsChange;
    changedBy: string;
    alongside?: AlongsideChange | undefined;
  },
): Promise<ProviderSettingsUpdate | undefined> {
  const { name, change, changedBy, alongside } = params;
  return shortTransaction(db, async (tx) => {
    const before = await queryOne<ProviderRow>(tx, sql`${SELECT_PROVIDER} where name = ${name} for update`);
    if (!before) return undefined;
    await tx.execute(sql`
      update providers
      set enabled = coalesce(${change.enabled ?? null}::boolean, enabled),
          model = coalesce(${change.model ?? null}::text, model),
          rpm = coalesce(${change.rpm ?? null}::int, rpm),
          max_concurrency = coalesce(${change.maxConcurrency ?? null}::int, max_concurrency)
      where name = ${name}`);
    const after = await queryOne<ProviderRow>(tx, sql`${SELECT_PROVIDER} where name = ${name}`);
    if (!after) throw new Error(`provider ${name} vanished inside its own update`);
    const settings = toSettings(after);
    const cancelled = alongside ? await alongside(tx, settings) : {};
    const result = { before: toSettings(before), after: settings, cancelled };
    await tx.execute(sql`
      insert into provider_changes (provider, changed_by, before, after, cancelled)
      values (${name}, ${changedBy}, ${JSON.stringify(result.before)}::jsonb, ${JSON.stringify(result.after)}::jsonb,
              ${JSON.stringify(cancelled)}::jsonb)`);
    return result;
  });
}

/**
 * This process's configuration with each provider's model taken from the table, so a worker
 * calls the model the operators set, not the one its own environment happens to name. The API
 * key and base URL stay the environment's: they never leave the process that uses them.
 */
export function withProviderSettings(config: Config, settings: readonly ProviderSettings[]): Config {
  const providers = { ...config.providers };
  for (const s of settings) providers[s.name] = { ...providers[s.name], model: s.model };
  return { ...config, providers };
}

/**
 * Creates the `providers` rows that do not exist yet, from this process's environment (first
 * run), and never touches an existing row: after that the settings are data, changed only by
 * `sched providers set`. Returns the names of the rows it created.
 */
export async function ensureProviders(deps: Pick<Deps, 'db' | 'config'>): Promise<ProviderName[]> {
  const { db, config } = deps;
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
