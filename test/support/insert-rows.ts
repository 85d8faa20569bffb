import { sql } from 'drizzle-orm';
import type { Config } from '../../src/config.ts';
import type { Db } from '../../src/db/client.ts';
import { providerMode } from '../../src/providers/provider-mode.ts';
import { PROVIDER_NAMES } from '../../src/providers/types.ts';

/** Test data writers: one statement per table, rows passed as one JSON parameter. */

export interface OrgInput {
  id: string;
  name: string;
  slug: string;
  plan: string;
  subscription_status: string;
  active: boolean;
  created_at?: string;
}

export interface PromptInput {
  id: string;
  org_id: string;
  text: string;
  active: boolean;
  created_at: string;
}

export interface ResponseInput {
  org_id: string;
  prompt_id: string;
  provider: string;
  run_date: string;
  run_at: string;
  status: 'success' | 'error';
}

export async function insertOrgs(db: Db, rows: OrgInput[]): Promise<void> {
  if (rows.length === 0) return;
  await db.execute(sql`
    insert into organizations (id, name, slug, plan, subscription_status, active, created_at)
    select id, name, slug, plan, subscription_status, active, coalesce(created_at, now())
    from jsonb_to_recordset(${JSON.stringify(rows)}::jsonb)
      as x(id uuid, name text, slug text, plan text, subscription_status text, active boolean, created_at timestamptz)`);
}

export async function insertPrompts(db: Db, rows: PromptInput[]): Promise<void> {
  if (rows.length === 0) return;
  await db.execute(sql`
    insert into prompts (id, org_id, text, active, created_at)
    select id, org_id, text, active, created_at
    from jsonb_to_recordset(${JSON.stringify(rows)}::jsonb)
      as x(id uuid, org_id uuid, text text, active boolean, created_at timestamptz)`);
}

export async function insertResponses(db: Db, rows: ResponseInput[]): Promise<void> {
  if (rows.length === 0) return;
  await db.execute(sql`
    insert into prompt_provider_responses (org_id, prompt_id, provider, model, run_date, run_at, status, response_text)
    select org_id, prompt_id, provider, 'test-model', run_date, run_at, status,
           case when status = 'success' then 'an answer' end
    from jsonb_to_recordset(${JSON.stringify(rows)}::jsonb)
      as x(org_id uuid, prompt_id uuid, provider text, run_date date, run_at timestamptz, status text)`);
}

export async function setProviders(db: Db, enabled: Record<string, boolean>): Promise<void> {
  const rows = Object.entries(enabled).map(([name, on]) => ({ name, enabled: on }));
  await db.execute(sql`
    insert into providers (name, enabled, model, rpm, max_concurrency)
    select name, enabled, 'test-model', 60, 4
    from jsonb_to_recordset(${JSON.stringify(rows)}::jsonb) as x(name text, enabled boolean)
    on conflict (name) do update set enabled = excluded.enabled`);
}

/**
 * Tests only: writes every provider row from a test's config (enabled when the config can call
 * it, its model, rpm and concurrency), overwriting what is there and keeping pauses. Production
 * creates rows once (ensureProviders) and changes them only through `sched providers set`.
 */
export async function resetProvidersFromConfig(db: Db, config: Config): Promise<void> {
  const rows = PROVIDER_NAMES.map((name) => ({
    name,
    enabled: providerMode(config, name) !== 'disabled',
    model: config.providers[name].model,
    rpm: config.providers[name].rpm,
    max_concurrency: config.providers[name].maxConcurrency,
  }));
  await db.execute(sql`
    insert into providers (name, enabled, model, rpm, max_concurrency)
    select name, enabled, model, rpm, max_concurrency
    from jsonb_to_recordset(${JSON.stringify(rows)}::jsonb)
      as x(name text, enabled boolean, model text, rpm int, max_concurrency int)
    on conflict (name) do update
      set enabled = excluded.enabled, model = excluded.model, rpm = excluded.rpm,
          max_concurrency = excluded.max_concurrency`);
}

/** A completed batch job for an org and run_date: what makes an org "found". */
export async function insertCompletedJob(db: Db, orgId: string, runDate: string): Promise<void> {
  await db.execute(sql`
    insert into batch_jobs (org_id, run_date, source, status, triggered_by, completed_at)
    values (${orgId}::uuid, ${runDate}::date, 'nightly', 'completed', 'test', now())`);
}

/**
 * Dates the database's install (a template's row says when the template was migrated): a test
 * on a pinned clock sets it just before its scenario, so its steps were owed and can be late.
 */
export async function installedAt(db: Db, instant: Date | string): Promise<void> {
  await db.execute(
    sql`update installation set installed_at = ${new Date(instant).toISOString()}::timestamptz`,
  );
}
