import { type SQL, sql } from 'drizzle-orm';
import { type Db, queryRows } from '../db/client.ts';
import { isLive } from '../db/live-status.ts';
import { PLAN_PROVIDERS, PLAN_QUOTA, PLANS } from '../db/plans.ts';

/**
 * Cancels live tasks whose unit is no longer expected, so nothing live is left without an owner:
 * a disabled provider's tasks (its change cancels them in the transaction that disables it), and,
 * from the reconciler, those of prompts, orgs or plans changed mid-night. Every live task belongs
 * to an open night, so only open nights are touched; closed nights keep their figures. The lock
 * stays on a task a worker holds (locked_by): the answer that still lands is kept, not counted.
 * Returns the tasks cancelled per run_date.
 */

export type CancelReason = 'provider_disabled' | 'no_longer_expected';

export interface CancelledTasks {
  byRunDate: Record<string, number>;
  jobIds: string[];
}

async function cancelWhere(db: Db, params: { where: SQL; reason: CancelReason; because: string }) {
  const { where, reason, because } = params;
  const rows = await queryRows<{ run_date: string; n: number; job_ids: string[] }>(
    db,
    sql`with target as (
          select t.id from batch_tasks t
          where ${isLive('t.status')} and ${where}
          order by t.id
          for update
        ),
        cancelled as (
          update batch_tasks t
          set status = 'cancelled', completed_at = now(), lease_expires_at = null,
              error_class = ${reason}, last_error = ${because.slice(0, 500)}
          from target x
          where t.id = x.id
          returning t.run_date, t.batch_job_id
        )
        select to_char(run_date, 'YYYY-MM-DD') as run_date, count(*)::int as n,
               array_agg(distinct batch_job_id::text) as job_ids
        from cancelled group by run_date order by run_date`,
  );
  const byRunDate: Record<string, number> = {};
  const jobIds = new Set<string>();
  for (const row of rows) {
    byRunDate[row.run_date] = row.n;
    for (const id of row.job_ids) jobIds.add(id);
  }
  return { byRunDate, jobIds: [...jobIds] };
}

/** A provider taken out of service: every live task of it, with who and why. */
export function cancelProviderTasks(
  db: Db,
  params: { provider: string; changedBy: string },
): Promise<CancelledTasks> {
  return cancelWhere(db, {
    where: sql`t.provider = ${params.provider}`,
    reason: 'provider_disabled',
    because: `provider ${params.provider} disabled by ${params.changedBy}`,
  });
}

/**
 * Live tasks whose unit is not expected any more: prompt inactive, org inactive or not active or
 * trialing, provider disabled or not in the org's plan, prompt past the plan's quota. Ranks are
 * read only for orgs over their quota.
 */
export function cancelUnexpectedTasks(db: Db): Promise<CancelledTasks> {
  const quotas = sql.join(
    PLANS.map((plan) => sql`(${plan}::text, ${PLAN_QUOTA[plan]}::int)`),
    sql`, `,
  );
  const entitlements = sql.join(
    PLANS.flatMap((plan) => PLAN_PROVIDERS[plan].map((provider) => sql`(${plan}::text, ${provider}::text)`)),
    sql`, `,
  );
  const pastQuota = sql`(
    select r.id from (
      select p.id, row_number() over (partition by p.org_id order by p.created_at, p.id) as rank, q.quota
      from prompts p
      join organizations o on o.id = p.org_id
      join (values ${quotas}) q(plan, quota) on q.plan = o.plan
      where p.active and q.quota is not null
        and p.org_id in (select distinct l.org_id from batch_tasks l where ${isLive('l.status')})
    ) r where r.rank > r.quota)`;
  return cancelWhere(db, {
    where: sql`not exists (
      select 1 from prompts p
      join organizations o on o.id = p.org_id
      join (values ${entitlements}) pp(plan, provider) on pp.plan = o.plan and pp.provider = t.provider
      join providers pr on pr.name = t.provider and pr.enabled
      where p.id = t.prompt_id and p.active and o.active and o.subscription_status in ('active', 'trialing'))
      or t.prompt_id in ${pastQuota}`,
    reason: 'no_longer_expected',
    because: 'no longer expected: its prompt, org, plan or provider changed during the night',
  });
}
