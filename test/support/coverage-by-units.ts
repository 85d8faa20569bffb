import { sql } from 'drizzle-orm';
import { type CoverageRows, expectedUnitsCte } from '../../src/coverage/coverage-query.ts';
import { type Db, queryOne } from '../../src/db/client.ts';

/** FUNCTION_NAMES.trigger of src/store/scheduler-runs.ts. */
const TRIGGER_FUNCTION = 'daily-batch-trigger';

/**
 * The coverage statement as it was before the rollup (0004_coverage_rollup): every expected unit
 * probed for a success, every unit's last task looked up. Slow at scale, plainly right: the rollup
 * based queryCoverage must return the very same document.
 */
export async function queryCoverageByUnits(db: Db, runDate: string): Promise<CoverageRows> {
  const row = await queryOne<{ doc: CoverageRows }>(
    db,
    sql`
    with ${expectedUnitsCte(runDate)},
    unit_state as (
      select u.org_id, u.prompt_id, u.provider, u.ok,
             case
               when u.ok then null
               when t.status is null then 'not_scheduled'
               when t.status = 'failed' then coalesce(t.error_class, 'failed')
               when t.status = 'completed' then 'failed'
               else t.status
             end as reason,
             left(t.last_error, 300) as error
      from unit_ok u
      left join lateral (
        select t.status, t.error_class, t.last_error
        from batch_tasks t
        where not u.ok and t.run_date = ${runDate}::date and t.prompt_id = u.prompt_id and t.provider = u.provider
        order by t.created_at desc, t.id desc
        limit 1
      ) t on true
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
      select r.org_id, o.name, max(r.quota) as quota,
             count(*) as active_prompts,
             count(*) filter (where r.rank > r.quota) as over_quota_prompts
      from ranked r
      join organizations o on o.id = r.org_id
      where r.quota is not null
      group by r.org_id, o.name
      having count(*) filter (where r.rank > r.quota) > 0
    )
    select json_build_object(
      'orgs', (
        select coalesce(json_agg(json_build_object(
          'org_id', o.id, 'name', o.name, 'slug', o.slug, 'plan', o.plan,
          'expected_prompts', op.expected_prompts, 'covered_prompts', op.covered_prompts,
          'full_prompts', op.full_prompts, 'expected_units', op.expected_units,
          'succeeded_units', op.succeeded_units,
          'over_quota_prompts', coalesce(oq.over_quota_prompts, 0),
          'found', exists (
            select 1 from batch_jobs j
            where j.org_id = o.id and j.run_date = ${runDate}::date and j.status = 'completed'
          )
        ) order by o.name, o.id), '[]'::json)
        from org_prompts op
        join organizations o on o.id = op.org_id
        left join over_quota oq on oq.org_id = o.id
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
      ),
      -- Prompt by prompt: each active prompt, and the group it falls in.
      'active_prompts', (
        select json_build_object(
          'total', count(*),
          'expected', count(*) filter (where g = 'expected'),
          'org_not_eligible', count(*) filter (where g = 'org_not_eligible'),
          'no_entitled_provider', count(*) filter (where g = 'no_entitled_provider'),
          'over_quota', count(*) filter (where g = 'over_quota')
        )
        from (
          select case
                   when r.id is null then 'org_not_eligible'
                   when not exists (select 1 from plan_provider pp join providers pr
                                    on pr.name = pp.provider and pr.enabled where pp.plan = r.plan)
                     then 'no_entitled_provider'
                   when exists (select 1 from units u where u.prompt_id = p.id) then 'expected'
                   else 'over_quota'
                 end as g
          from prompts p left join ranked r on r.id = p.id
          where p.active
        ) grouped
      ),
      -- Restated: providers taken out of service (or back) while the night ran.
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
        'active_prompts', (select count(*) from ranked),
        'eligible_orgs', (select count(distinct org_id) from ranked),
        'enabled_providers', (select count(*) from providers where enabled),
        'trigger_status', (
          select status from scheduler_runs
          where function_name = ${TRIGGER_FUNCTION} and run_key = ${runDate}
        ),
        'jobs', (select count(*) from batch_jobs where run_date = ${runDate}::date)
      )
    ) as doc`,
  );
  if (!row) throw new Error('coverage query returned no row');
  return typeof row.doc === 'string' ? (JSON.parse(row.doc) as CoverageRows) : row.doc;
}
