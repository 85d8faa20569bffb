import { type SQL, sql } from 'drizzle-orm';
import { type Db, queryOne, queryRows } from '../db/client.ts';
import { isLive } from '../db/live-status.ts';
import { PLAN_PROVIDERS, PLAN_QUOTA, PLANS } from '../db/plans.ts';
import type { ProviderName } from '../providers/types.ts';
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
  /**
   * What the night had to work with, whatever the providers: active prompts (and their orgs) of
   * eligible orgs, enabled providers, the trigger row's status and the jobs of run_date. Always set
   * by queryCoverage; rows built by hand for view tests may leave it out.
   */
  night?: {
    active_prompts: number;
    eligible_orgs: number;
    enabled_providers: number;
    trigger_status: string | null;
    jobs: number;
  };
  /** Providers disabled or enabled while the night ran; always set by queryCoverage. */
  provider_changes?: {
    provider: string;
    by: string;
    at: string;
    enabled: boolean;
    cancelled_units: number;
  }[];
  /**
   * Every active prompt of the database (the runbook's `where p.active` count), each in exactly
   * one group. Always set by queryCoverage; rows built by hand may leave it out.
   */
  active_prompts?: {
    total: number;
    expected: number;
    org_not_eligible: number;
    no_entitled_provider: number;
    over_quota: number;
  };
}

/** FUNCTION_NAMES.trigger of src/scheduler/scheduler-runs.ts (coverage sits below the scheduler). */
const TRIGGER_FUNCTION = 'daily-batch-trigger';

/**
 * Whether a unit has a success on `day`: a correlated scalar subquery, not EXISTS. PostgreSQL
 * turns an EXISTS into a join, and with a night's rows unseen by the statistics (estimated at
 * one) that anti-join read every success of the night once per unit, its index scanned on
 * run_date alone with the prompt and provider as a join filter (400,000 candidates x 68,000
 * successes while a night ran: /sched-status ran for 15 minutes; the repair preview, for minutes
 * more). A subquery with LIMIT stays a per-row probe on all three keys of the index.
 */
const succeeded = (day: SQL, prompt: SQL, provider: SQL, org?: SQL) =>
  sql`coalesce((select true from prompt_provider_responses s
                where s.run_date = ${day} and s.prompt_id = ${prompt} and s.provider = ${provider}
                  ${org ? sql`and s.org_id = ${org}` : sql``} and s.status = 'success'
                limit 1), false)`;

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
  // Written so that no join depends on row estimates: right after a night's bulk writes the
  // statistics are stale, and a CTE is estimated at one row. Unit-level lookups are index probes
  // the planner cannot turn into joins (`succeeded`; callers filter on `not ok`), and the only
  // joins are against VALUES lists and real tables.
  return sql`
    plan_quota(plan, quota) as (values ${quotas}),
    plan_provider(plan, provider) as (values ${entitlements}),
    ranked as (
      select p.id, p.org_id, p.text, o.plan, q.quota,
             row_number() over (partition by p.org_id order by p.created_at, p.id) as rank
      from prompts p
      join organizations o on o.id = p.org_id
      join plan_quota q on q.plan = o.plan
      where p.active and o.active and o.subscription_status in ('active', 'trialing')
    ),
    units as (
      select r.org_id, r.id as prompt_id, pp.provider
      from ranked r
      join plan_provider pp on pp.plan = r.plan
      join providers pr on pr.name = pp.provider and pr.enabled
      where r.quota is null or r.rank <= r.quota
    ),
    unit_ok as (
      select u.org_id, u.prompt_id, u.provider,
             ${succeeded(sql`${runDate}::date`, sql`u.prompt_id`, sql`u.provider`)} as ok
      from units u
    )`;
}

/**
 * The CTE `org_fingerprint (org_id, prompts, hash, providers)` of expected-fingerprint.ts, to follow `expectedUnitsCte` in a
 * WITH list. An org with prompts but no enabled provider it is entitled to expects nothing: left out.
 */
export const orgFingerprintCte: SQL = sql`
  org_fingerprint as (
    select f.* from (
      select r.org_id, count(*)::int as prompts, sum(hashtext(r.id::text))::bigint as hash,
             (select string_agg(pp.provider, ',' order by pp.provider)
              from plan_provider pp join providers pr on pr.name = pp.provider and pr.enabled
              where pp.plan = min(r.plan)) as providers
      from ranked r
      where r.quota is null or r.rank <= r.quota
      group by r.org_id
    ) f
    where f.providers is not null
  )`;

/**
 * One statement: every count and list of the postcheck for a run_date, as one JSON document.
 *
 * It reads counts, not units: per (org, provider), the units expected are min(active prompts,
 * quota) and the units succeeded come from coverage_rollup (distinct prompts with a success),
 * less those of prompts no longer expected (inactive or past the quota, looked up one by one:
 * they are few). Only the units missing are then found one by one: first among the units with a
 * live, failed or cancelled task (two small indexes); an (org, provider) whose misses are not all
 * there (units never scheduled) is drilled whole. Covered and fully covered prompts follow from
 * the missing units. test/integration/coverage.test.ts holds it equal to the unit by unit
 * statement it replaced (test/support/coverage-by-units.ts) and to an independent oracle.
 *
 * Every join is against a small set (orgs, (org, provider) pairs, missing units) or an index
 * probe, and each set is materialized once: right after a night's bulk writes the statistics
 * are stale, and no plan may depend on them.
 */
export async function queryCoverage(db: Db, runDate: string): Promise<CoverageRows> {
  const day = sql`${runDate}::date`;
  const quotas = sql.join(
    PLANS.map((plan) => sql`(${plan}::text, ${PLAN_QUOTA[plan]}::int)`),
    sql`, `,
  );
  const entitlements = sql.join(
    PLANS.flatMap((plan) => PLAN_PROVIDERS[plan].map((provider) => sql`(${plan}::text, ${provider}::text)`)),
    sql`, `,
  );
  const row = await queryOne<{ doc: CoverageRows }>(
    db,
    sql`
    with plan_quota(plan, quota) as (values ${quotas}),
    plan_provider(plan, provider) as (values ${entitlements}),
    org_counts as materialized (
      select o.id as org_id, o.name, o.slug, o.plan, q.quota,
             count(*) filter (where p.active)::int as active_prompts,
             count(*) filter (where not p.active)::int as inactive_prompts
      from organizations o
      join plan_quota q on q.plan = o.plan
      join prompts p on p.org_id = o.id
      where o.active and o.subscription_status in ('active', 'trialing')
      group by o.id, o.name, o.slug, o.plan, q.quota
    ),
    -- Only an org over its quota needs its prompts ranked (first created first, then by id).
    ranked as materialized (
      select p.id, p.org_id, c.quota,
             row_number() over (partition by p.org_id order by p.created_at, p.id) as rank
      from org_counts c
      join prompts p on p.org_id = c.org_id and p.active
      where c.quota is not null and c.active_prompts > c.quota
    ),
    past_quota as materialized (select id, org_id from ranked where rank > quota),
    pairs as materialized (
      select c.org_id, pp.provider, least(c.active_prompts, coalesce(c.quota, c.active_prompts)) as expected
      from org_counts c
      join plan_provider pp on pp.plan = c.plan
      join providers pr on pr.name = pp.provider and pr.enabled
      where c.active_prompts > 0
    ),
    rollup as (
      select r.org_id, r.provider, sum(r.succeeded)::int as succeeded
      from coverage_rollup r where r.run_date = ${day}
      group by r.org_id, r.provider
    ),
    -- Prompts of eligible orgs that are not expected, whose successes the rollup counts too.
    not_expected as (
      select p.id, p.org_id from org_counts c join prompts p on p.org_id = c.org_id and not p.active
      where c.inactive_prompts > 0
      union all
      select id, org_id from past_quota
    ),
    not_expected_ok as (
      select n.org_id, pa.provider, count(*)::int as units
      from not_expected n
      join pairs pa on pa.org_id = n.org_id
      where ${succeeded(day, sql`n.id`, sql`pa.provider`, sql`n.org_id`)}
      group by n.org_id, pa.provider
    ),
    pair_state as materialized (
      select pa.org_id, pa.provider, pa.expected,
             pa.expected - (coalesce(r.succeeded, 0) - coalesce(x.units, 0)) as missing
      from pairs pa
      left join rollup r on r.org_id = pa.org_id and r.provider = pa.provider
      left join not_expected_ok x on x.org_id = pa.org_id and x.provider = pa.provider
    ),
    -- Where a missing unit almost always is: a live, failed or cancelled task of the night.
    candidates as (
      select t.prompt_id, t.provider from batch_tasks t
      where t.run_date = ${day} and ${isLive('t.status')}
      union
      select t.prompt_id, t.provider from batch_tasks t
      where t.run_date = ${day} and t.status in ('failed', 'cancelled')
    ),
    -- The candidates' orgs first, by primary key: joined to pair_state on the provider alone,
    -- the planner once multiplied 3,065 candidates by 2,118 pairs (1.6 M rows, 6.5 M probes of
    -- prompts, 7 s) before it filtered on the org.
    candidate_units as materialized (
      select p.org_id, c.prompt_id, c.provider
      from candidates c
      join prompts p on p.id = c.prompt_id and p.active
    ),
    -- Each candidate with its pair's missing count and whether its prompt is past the quota, from
    -- windows over the three lists together, not from joins: while a night runs every pending
    -- task is a candidate (400,000), the statistics have not seen them (estimated at one row),
    -- and a join with pair_state or past_quota became a nested loop over candidates x pairs
    -- (1.3 G comparisons: a /sched-status during a night ran for 15 minutes).
    candidate_flags as (
      select org_id, provider, prompt_id, kind,
             max(pair_missing) over (partition by org_id, provider) as pair_missing,
             bool_or(kind = 'past_quota') over (partition by prompt_id) as past_quota
      from (
        select org_id, provider, null::uuid as prompt_id, 'pair' as kind, missing as pair_missing
        from pair_state
        union all
        select org_id, provider, prompt_id, 'candidate', 0 from candidate_units
        union all
        select org_id, null, id, 'past_quota', 0 from past_quota
      ) listed
    ),
    candidate_missing as materialized (
      select cf.org_id, cf.prompt_id, cf.provider
      from candidate_flags cf
      where cf.kind = 'candidate' and cf.pair_missing > 0 and not cf.past_quota
        and not ${succeeded(day, sql`cf.prompt_id`, sql`cf.provider`)}
    ),
    -- Each pair (prompt_id null) and each miss found, with its pair's missing and found counts,
    -- from one window over both lists: no join between them, so no estimate can turn it into
    -- pairs x misses comparisons (joined, it once did: 6.5 M, 2 s, and 6.5 M again below).
    pair_found as materialized (
      select org_id, provider, prompt_id,
             max(missing) over pair as missing, sum(found) over pair as found
      from (
        select org_id, provider, null::uuid as prompt_id, missing, 0 as found from pair_state where missing > 0
        union all
        select org_id, provider, prompt_id, 0, 1 from candidate_missing
      ) counted
      window pair as (partition by org_id, provider)
    ),
    missing_units as materialized (
      select f.org_id, f.prompt_id, f.provider
      from pair_found f
      where f.prompt_id is not null and f.found >= f.missing
      union all
      -- Misses the tasks do not show (never scheduled): every expected unit of the pair.
      select p.org_id, p.id, f.provider
      from pair_found f
      join prompts p on p.org_id = f.org_id and p.active
      where f.prompt_id is null and f.found < f.missing
        and not exists (select 1 from past_quota q where q.id = p.id)
        and not ${succeeded(day, sql`p.id`, sql`f.provider`)}
    ),
    missing_state as materialized (
      select m.org_id, m.prompt_id, m.provider,
             case
               -- Its provider was out of service during the night and is back: not a fault of the run.
               when t.status = 'cancelled' and t.error_class = 'provider_disabled' then 'enabled_after_trigger'
               when t.status is null and exists (
                 select 1 from provider_changes pc
                 where pc.provider = m.provider and pc.changed_at > (
                     select r.started_at from scheduler_runs r
                     where r.function_name = ${TRIGGER_FUNCTION} and r.run_key = ${runDate})
                   and (pc.after->>'enabled')::boolean and not coalesce((pc.before->>'enabled')::boolean, false)
               ) then 'enabled_after_trigger'
               when t.status is null then 'not_scheduled'
               when t.status = 'failed' then coalesce(t.error_class, 'failed')
               when t.status = 'completed' then 'failed'
               else t.status
             end as reason,
             left(t.last_error, 300) as error
      from missing_units m
      left join lateral (
        select t.status, t.error_class, t.last_error
        from batch_tasks t
        where t.run_date = ${day} and t.prompt_id = m.prompt_id and t.provider = m.provider
        order by t.created_at desc, t.id desc
        limit 1
      ) t on true
    ),
    org_units as (
      select org_id, max(expected) as expected_prompts, count(*) as providers
      from pair_state group by org_id
    ),
    org_missing as (
      select mp.org_id, count(*) as incomplete,
             count(*) filter (where mp.units = ou.providers) as uncovered, sum(mp.units) as units
      from (select org_id, prompt_id, count(*) as units from missing_state group by org_id, prompt_id) mp
      join org_units ou on ou.org_id = mp.org_id
      group by mp.org_id
    ),
    over_quota as (
      select org_id, name, quota, active_prompts, active_prompts - quota as over_quota_prompts
      from org_counts
      where quota is not null and active_prompts > quota
    ),
    night_tasks as (
      select status, count(*) as n from batch_tasks
      where run_date = ${day} and ${isLive()}
      group by status
      union all
      select status, count(*) from batch_tasks
      where run_date = ${day} and status in ('failed', 'cancelled')
      group by status
    )
    select json_build_object(
      'orgs', (
        select coalesce(json_agg(json_build_object(
          'org_id', c.org_id, 'name', c.name, 'slug', c.slug, 'plan', c.plan,
          'expected_prompts', ou.expected_prompts,
          'covered_prompts', ou.expected_prompts - coalesce(om.uncovered, 0),
          'full_prompts', ou.expected_prompts - coalesce(om.incomplete, 0),
          'expected_units', ou.expected_prompts * ou.providers,
          'succeeded_units', ou.expected_prompts * ou.providers - coalesce(om.units, 0),
          'over_quota_prompts', coalesce(oq.over_quota_prompts, 0),
          'found', exists (
            select 1 from batch_jobs j
            where j.org_id = c.org_id and j.run_date = ${day} and j.status = 'completed'
          )
        ) order by c.name, c.org_id), '[]'::json)
        from org_units ou
        join org_counts c on c.org_id = ou.org_id
        left join org_missing om on om.org_id = ou.org_id
        left join over_quota oq on oq.org_id = ou.org_id
      ),
      'providers', (
        select coalesce(json_agg(json_build_object(
          'provider', pr.name, 'enabled', pr.enabled,
          'paused_until', pr.paused_until, 'pause_reason', pr.pause_reason,
          'expected_units', coalesce(pu.units, 0),
          'succeeded_units', coalesce(pu.units, 0) - coalesce(pm.units, 0)
        ) order by pr.name), '[]'::json)
        from providers pr
        left join (select provider, sum(expected) as units from pair_state group by provider) pu
          on pu.provider = pr.name
        left join (select provider, count(*) as units from missing_state group by provider) pm
          on pm.provider = pr.name
      ),
      'missing', (
        select coalesce(json_agg(json_build_object(
          'org_id', ms.org_id, 'prompt_id', ms.prompt_id,
          'text', case when length(p.text) > 80 then left(p.text, 80) || '...' else p.text end,
          'provider', ms.provider, 'reason', ms.reason, 'error', ms.error
        ) order by ms.org_id, ms.prompt_id, ms.provider), '[]'::json)
        from missing_state ms
        join prompts p on p.id = ms.prompt_id
      ),
      'over_quota', (
        select coalesce(json_agg(json_build_object(
          'org_id', oq.org_id, 'name', oq.name, 'quota', oq.quota,
          'active_prompts', oq.active_prompts, 'over_quota_prompts', oq.over_quota_prompts
        ) order by oq.name), '[]'::json)
        from over_quota oq
      ),
      -- Completed is the rest of the night's tasks: counted on an index, no task row is read.
      'tasks', (
        select json_build_object(
          'pending', coalesce(sum(n) filter (where status = 'pending'), 0),
          'processing', coalesce(sum(n) filter (where status = 'processing'), 0),
          'completed', (select count(*) from batch_tasks where run_date = ${day}) - coalesce(sum(n), 0),
          'failed', coalesce(sum(n) filter (where status = 'failed'), 0),
          'cancelled', coalesce(sum(n) filter (where status = 'cancelled'), 0)
        )
        from night_tasks
      ),
      -- The runbook counts every active prompt; these groups say where each one went. An org's
      -- prompts go whole to "no entitled provider" (it has no pair), so over quota is only counted
      -- in orgs that run, and the groups never overlap.
      'active_prompts', json_build_object(
        'total', (select count(*) from prompts where active),
        'expected', (
          select coalesce(sum(least(c.active_prompts, coalesce(c.quota, c.active_prompts))), 0)
          from org_counts c where exists (select 1 from pairs pa where pa.org_id = c.org_id)
        ),
        'org_not_eligible', (
          select count(*) from prompts p join organizations o on o.id = p.org_id
          where p.active and not (o.active and o.subscription_status in ('active', 'trialing'))
        ),
        'no_entitled_provider', (
          select coalesce(sum(c.active_prompts), 0)
          from org_counts c where not exists (select 1 from pairs pa where pa.org_id = c.org_id)
        ),
        'over_quota', (
          select coalesce(sum(c.active_prompts - c.quota), 0)
          from org_counts c
          where c.quota is not null and c.active_prompts > c.quota
            and exists (select 1 from pairs pa where pa.org_id = c.org_id)
        )
      ),
      -- Providers taken out of service (or back) while the night ran: the report says so.
      'provider_changes', (
        select coalesce(json_agg(json_build_object(
          'provider', pc.provider, 'by', pc.changed_by,
          'at', to_char(pc.changed_at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'),
          'enabled', (pc.after->>'enabled')::boolean,
          'cancelled_units', coalesce((pc.cancelled->>${runDate})::int, 0)
        ) order by pc.changed_at, pc.id), '[]'::json)
        from provider_changes pc
        where (pc.before->>'enabled')::boolean is distinct from (pc.after->>'enabled')::boolean
          and (pc.cancelled ? ${runDate}
               or pc.changed_at > (select r.started_at from scheduler_runs r
                                   where r.function_name = ${TRIGGER_FUNCTION} and r.run_key = ${runDate})
                  and pc.changed_at < (${runDate}::date + 1)::timestamptz)
      ),
      'night', json_build_object(
        'active_prompts', (select coalesce(sum(active_prompts), 0) from org_counts),
        'eligible_orgs', (select count(*) from org_counts where active_prompts > 0),
        'enabled_providers', (select count(*) from providers where enabled),
        'trigger_status', (
          select status from scheduler_runs
          where function_name = ${TRIGGER_FUNCTION} and run_key = ${runDate}
        ),
        'jobs', (select count(*) from batch_jobs where run_date = ${day})
      )
    ) as doc`,
  );
  if (!row) throw new Error('coverage query returned no row');
  return typeof row.doc === 'string' ? (JSON.parse(row.doc) as CoverageRows) : row.doc;
}

/** Per enabled provider, the night's expected units and those answered (the /metrics gauges). */
export function enabledProviderUnits(
  db: Db,
  runDate: string,
): Promise<{ provider: string; expected: number; succeeded: number }[]> {
  return queryRows(
    db,
    sql`with ${expectedUnitsCte(runDate)}
        select pr.name as provider, count(u.prompt_id)::int as expected,
               count(u.prompt_id) filter (where u.ok)::int as succeeded
        from providers pr left join unit_ok u on u.provider = pr.name
        where pr.enabled group by pr.name`,
  );
}
