import { sql } from 'drizzle-orm';
import { type Db, queryOne, queryRows } from '../../src/db/client.ts';

/**
 * What a night's figures and health ARE, computed straight from the tables with SQL of our own
 * (never the product's queries or constants), by the rule every surface must state: HEALTHY iff
 * prompt coverage >= 95 %, org coverage >= 95 % and every provider with expected units has unit
 * coverage >= 95 %, exact ratios; a night with active prompts but nothing expected, or never
 * triggered, is not healthy; no active prompt at all is healthy with nothing to run.
 */

export const THRESHOLD = 95;

/**
 * `old` leaves the provider criterion out, as main did before the rule changed: only for looking
 * at an older build past that one known difference (`--health-rule old`).
 */
export const rule = { providers: true };

export interface Fraction {
  n: number;
  d: number;
}

export interface OracleNight {
  runDate: string;
  nothingToRun: boolean;
  health: 'HEALTHY' | 'NEEDS_ATTENTION';
  /** Reason codes, provider reasons as `provider_coverage_below_threshold:<name>`. */
  reasons: string[];
  prompts: Fraction;
  orgs: Fraction;
  units: Fraction;
  providers: { provider: string; expected: number; succeeded: number }[];
  live: number;
}

const meets = (f: Fraction) => f.d === 0 || f.n * 100 >= THRESHOLD * f.d;

/**
 * Expected units, restated: active in-quota prompts (ranked by created_at, id) of active orgs
 * whose subscription is active or trialing, times the enabled providers their plan allows
 * (starter: openai and perplexity; the others: all).
 */
const UNITS = sql`
  quota(plan, n) as (values ('starter', 25), ('growth', 100), ('pro', 300), ('enterprise', null::int)),
  eligible as (
    select p.id as prompt_id, p.org_id, o.plan,
           row_number() over (partition by p.org_id order by p.created_at, p.id) as rank
    from prompts p join organizations o on o.id = p.org_id
    where p.active and o.active and o.subscription_status in ('active', 'trialing')
  ),
  units as (
    select e.org_id, e.prompt_id, pr.name as provider
    from eligible e
    join quota q on q.plan = e.plan
    join providers pr on pr.enabled and (e.plan <> 'starter' or pr.name in ('openai', 'perplexity'))
    where q.n is null or e.rank <= q.n
  )`;

interface UnitRow {
  org_id: string;
  prompt_id: string;
  provider: string;
  ok: boolean;
}

export async function oracleNight(db: Db, runDate: string): Promise<OracleNight> {
  const day = sql`${runDate}::date`;
  const units = await queryRows<UnitRow>(
    db,
    sql`with ${UNITS}
        select u.org_id, u.prompt_id, u.provider,
               exists (select 1 from prompt_provider_responses r
                       where r.run_date = ${day} and r.prompt_id = u.prompt_id
                         and r.provider = u.provider and r.status = 'success') as ok
        from units u`,
  );
  const facts = await queryOne<{ active: number; triggered: boolean; jobs: number; live: number }>(
    db,
    sql`with ${UNITS}
        select (select count(*)::int from eligible) as active,
               exists (select 1 from scheduler_runs where function_name = 'daily-batch-trigger'
                       and run_key = ${runDate} and status in ('completed', 'skipped')) as triggered,
               (select count(*)::int from batch_jobs where run_date = ${day}) as jobs,
               (select count(*)::int from batch_tasks where run_date = ${day}
                  and status in ('pending', 'processing')) as live`,
  );
  const found = await queryRows<{ org_id: string }>(
    db,
    sql`select distinct org_id from batch_jobs where run_date = ${day} and status = 'completed'`,
  );
  const foundOrgs = new Set(found.map((r) => r.org_id));

  const prompts = new Map<string, boolean>();
  const orgs = new Set<string>();
  const byProvider = new Map<string, { expected: number; succeeded: number }>();
  for (const u of units) {
    prompts.set(u.prompt_id, (prompts.get(u.prompt_id) ?? false) || u.ok);
    orgs.add(u.org_id);
    const p = byProvider.get(u.provider) ?? { expected: 0, succeeded: 0 };
    p.expected += 1;
    if (u.ok) p.succeeded += 1;
    byProvider.set(u.provider, p);
  }
  const promptF = { n: [...prompts.values()].filter(Boolean).length, d: prompts.size };
  const orgF = { n: [...orgs].filter((o) => foundOrgs.has(o)).length, d: orgs.size };
  const unitF = { n: units.filter((u) => u.ok).length, d: units.length };
  const providers = [...byProvider.entries()]
    .map(([provider, p]) => ({ provider, ...p }))
    .sort((a, b) => a.provider.localeCompare(b.provider));

  const active = facts?.active ?? 0;
  const reasons: string[] = [];
  if (active > 0) {
    if (!facts?.triggered && (facts?.jobs ?? 0) === 0) reasons.push('trigger_not_run');
    if (units.length === 0) {
      const enabled = await queryOne<{ n: number }>(
        db,
        sql`select count(*)::int as n from providers where enabled`,
      );
      reasons.push((enabled?.n ?? 0) === 0 ? 'no_provider_enabled' : 'nothing_expected');
    }
  }
  if (!meets(promptF)) reasons.push('prompt_coverage_below_threshold');
  if (!meets(orgF)) reasons.push('org_coverage_below_threshold');
  for (const p of rule.providers ? providers : [])
    if (!meets({ n: p.succeeded, d: p.expected }))
      reasons.push(`provider_coverage_below_threshold:${p.provider}`);
  return {
    runDate,
    nothingToRun: active === 0,
    health: reasons.length === 0 ? 'HEALTHY' : 'NEEDS_ATTENTION',
    reasons,
    prompts: promptF,
    orgs: orgF,
    units: unitF,
    providers,
    live: facts?.live ?? 0,
  };
}

/** Nights the simulation touched: every run_date with a trigger row or a job. */
export async function knownNights(db: Db): Promise<string[]> {
  const rows = await queryRows<{ run_date: string }>(
    db,
    sql`select run_key as run_date from scheduler_runs
        where function_name = 'daily-batch-trigger' and run_key ~ '^\\d{4}-\\d{2}-\\d{2}$'
        union
        select to_char(run_date, 'YYYY-MM-DD') from batch_jobs
        order by 1`,
  );
  return rows.map((r) => r.run_date);
}
