import { sql } from 'drizzle-orm';
import { type Db, queryOne } from '../db/client.ts';
import type { ProviderName } from '../providers/types.ts';
import { PLAN_PROVIDERS, PLAN_QUOTA, PLANS } from './plans.ts';
import type { MissingReason } from './types.ts';

/** What the single coverage statement returns; `buildCoverageReport` turns it into the report. */
export interface CoverageRows {
  orgs: {
    org_id: string;
    name: string;
    slug: string;
    plan: string;
    expected_prompts: number;
    covered_prompts: number;
    full_prompts: number;
    expected_units: number;
    succeeded_units: number;
    over_quota_prompts: number;
    found: boolean;
  }[];
  providers: {
    provider: ProviderName;
    enabled: boolean;
    paused_until: string | null;
    pause_reason: string | null;
    expected_units: number;
    succeeded_units: number;
  }[];
  missing: {
    org_id: string;
    prompt_id: string;
    text: string;
    provider: ProviderName;
    reason: MissingReason;
    error: string | null;
  }[];
  over_quota: {
    org_id: string;
    name: string;
    quota: number;
    active_prompts: number;
    over_quota_prompts: number;
  }[];
  tasks: { pending: number; processing: number; completed: number; failed: number; cancelled: number };
}

/** The unit-level CTEs shared by coverage and repair: which units are expected, which succeeded. */
export function expectedUnitsCte(runDate: string) {
  const quotas = sql.join(
    PLANS.map((plan) => sql`(${plan}::text, ${PLAN_QUOTA[plan]}::int)`),
    sql`, `,
  );
  const entitlements = sql.join(
    PLANS.flatMap((plan) => PLAN_PROVIDERS[plan].map((provider) => sql`(${plan}::text, ${provider}::text)`)),
    sql`, `,
  );
  return sql`
    plan_quota(plan, quota) as (values ${quotas}),
    plan_provider(plan, provider) as (values ${entitlements}),
    eligible as (
      select o.id, o.name, o.slug, o.plan, q.quota
      from organizations o
      join plan_quota q on q.plan = o.plan
      where o.active and o.subscription_status in ('active', 'trialing')
    ),
    ranked as (
      select p.id, p.org_id, p.text,
             row_number() over (partition by p.org_id order by p.created_at, p.id) as rank
      from prompts p
      join eligible e on e.id = p.org_id
      where p.active
    ),
    in_quota as (
      select r.id, r.org_id, r.text
      from ranked r
      join eligible e on e.id = r.org_id
      where e.quota is null or r.rank <= e.quota
    ),
    entitled as (
      select e.id as org_id, pp.provider
      from eligible e
      join plan_provider pp on pp.plan = e.plan
      join providers pr on pr.name = pp.provider and pr.enabled
    ),
    units as (
      select q.org_id, q.id as prompt_id, en.provider
      from in_quota q
      join entitled en on en.org_id = q.org_id
    ),
    succeeded as (
      select distinct r.prompt_id, r.provider
      from prompt_provider_responses r
      where r.run_date = ${runDate}::date and r.status = 'success'
    ),
    unit_ok as (
      select u.org_id, u.prompt_id, u.provider, (s.prompt_id is not null) as ok
      from units u
      left join succeeded s on s.prompt_id = u.prompt_id and s.provider = u.provider
    )`;
}

/** One statement: every count and list of the postcheck for a run_date, as one JSON document. */
export async function queryCoverage(db: Db, runDate: string): Promise<CoverageRows> {
  const row = await queryOne<{ doc: CoverageRows }>(
    db,
    sql`
    with ${expectedUnitsCte(runDate)},
    last_task as (
      select distinct on (t.prompt_id, t.provider) t.prompt_id, t.provider, t.status, t.error_class, t.last_error
      from batch_tasks t
      where t.run_date = ${runDate}::date
      order by t.prompt_id, t.provider, t.created_at desc, t.id desc
    ),
    unit_state as (
      select u.org_id, u.prompt_id, u.provider, u.ok,
             case
               when u.ok then null
               when t.status is null then 'not_scheduled'
               when t.status = 'failed' then coalesce(t.error_class, 'failed')
               when t.status = 'completed' then 'failed'
               else t.status
             end as reason,
             case when u.ok then null else left(t.last_error, 300) end as error
      from unit_ok u
      left join last_task t on t.prompt_id = u.prompt_id and t.provider = u.provider
    ),
    prompt_state as (
      select org_id, prompt_id, count(*) as units, count(*) filter (where ok) as ok_units
      from unit_state
      group by org_id, prompt_id
    ),
    org_prompts as (
      select org_id,
             count(*) as expected_prompts,
             count(*) filter (where ok_units > 0) as covered_prompts,
             count(*) filter (where ok_units = units) as full_prompts,
             sum(units) as expected_units,
             sum(ok_units) as succeeded_units
      from prompt_state
      group by org_id
    ),
    over_quota as (
      select e.id as org_id, e.name, e.quota,
             count(*) as active_prompts,
             count(*) filter (where r.rank > e.quota) as over_quota_prompts
      from eligible e
      join ranked r on r.org_id = e.id
      where e.quota is not null
      group by e.id, e.name, e.quota
      having count(*) filter (where r.rank > e.quota) > 0
    )
    select json_build_object(
      'orgs', (
        select coalesce(json_agg(json_build_object(
          'org_id', e.id, 'name', e.name, 'slug', e.slug, 'plan', e.plan,
          'expected_prompts', op.expected_prompts, 'covered_prompts', op.covered_prompts,
          'full_prompts', op.full_prompts, 'expected_units', op.expected_units,
          'succeeded_units', op.succeeded_units,
          'over_quota_prompts', coalesce(oq.over_quota_prompts, 0),
          'found', exists (
            select 1 from batch_jobs j
            where j.org_id = e.id and j.run_date = ${runDate}::date and j.status = 'completed'
          )
        ) order by e.name, e.id), '[]'::json)
        from eligible e
        join org_prompts op on op.org_id = e.id
        left join over_quota oq on oq.org_id = e.id
      ),
      'providers', (
        select coalesce(json_agg(json_build_object(
          'provider', pr.name, 'enabled', pr.enabled,
          'paused_until', pr.paused_until, 'pause_reason', pr.pause_reason,
          'expected_units', coalesce(pu.units, 0), 'succeeded_units', coalesce(pu.ok_units, 0)
        ) order by pr.name), '[]'::json)
        from providers pr
        left join (
          select provider, count(*) as units, count(*) filter (where ok) as ok_units
          from unit_state group by provider
        ) pu on pu.provider = pr.name
      ),
      'missing', (
        select coalesce(json_agg(json_build_object(
          'org_id', us.org_id, 'prompt_id', us.prompt_id,
          'text', case when length(p.text) > 80 then left(p.text, 80) || '...' else p.text end,
          'provider', us.provider, 'reason', us.reason, 'error', us.error
        ) order by us.org_id, us.prompt_id, us.provider), '[]'::json)
        from unit_state us
        join prompts p on p.id = us.prompt_id
        where not us.ok
      ),
      'over_quota', (
        select coalesce(json_agg(json_build_object(
          'org_id', oq.org_id, 'name', oq.name, 'quota', oq.quota,
          'active_prompts', oq.active_prompts, 'over_quota_prompts', oq.over_quota_prompts
        ) order by oq.name), '[]'::json)
        from over_quota oq
      ),
      'tasks', (
        select json_build_object(
          'pending', count(*) filter (where status = 'pending'),
          'processing', count(*) filter (where status = 'processing'),
          'completed', count(*) filter (where status = 'completed'),
          'failed', count(*) filter (where status = 'failed'),
          'cancelled', count(*) filter (where status = 'cancelled')
        )
        from batch_tasks where run_date = ${runDate}::date
      )
    ) as doc`,
  );
  if (!row) throw new Error('coverage query returned no row');
  return typeof row.doc === 'string' ? (JSON.parse(row.doc) as CoverageRows) : row.doc;
}
