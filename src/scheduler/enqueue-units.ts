import { sql } from 'drizzle-orm';
import { expectedUnitsCte } from '../coverage/coverage-query.ts';
import { type Db, queryRows } from '../db/client.ts';

/**
 * The one fan-out used by the trigger, repair, rerun and manual runs: a set-based
 * INSERT ... SELECT of expected units into batch_tasks, one batch_jobs row per org.
 * The partial unique index (one live task per unit) makes it idempotent under concurrency:
 * ten simultaneous repairs leave one set of live tasks.
 */

export type JobSource = 'nightly' | 'repair' | 'rerun' | 'manual';

export interface EnqueueRequest {
  runDate: string;
  source: JobSource;
  triggeredBy: string;
  /** missing: units without a success on run_date; all: every expected unit. */
  scope: 'missing' | 'all';
  /** Restrict to these orgs (rerun); all eligible orgs when absent. */
  orgIds?: string[];
  maxAttempts: number;
  now: Date;
  metadata?: Record<string, unknown>;
}

export interface EnqueueResult {
  jobs: number;
  tasks: number;
  orgs: number;
  byProvider: Record<string, number>;
  jobIds: string[];
}

/** The candidate units of a request: expected, in scope, and with no live task already. */
function candidateUnits(request: Pick<EnqueueRequest, 'runDate' | 'scope' | 'orgIds'>) {
  const orgFilter = request.orgIds
    ? sql`and u.org_id in (select value::uuid from jsonb_array_elements_text(${JSON.stringify(request.orgIds)}::jsonb))`
    : sql``;
  const scopeFilter = request.scope === 'missing' ? sql`and not u.ok` : sql``;
  return sql`
    with ${expectedUnitsCte(request.runDate)},
    candidates as (
      select u.org_id, u.prompt_id, u.provider
      from unit_ok u
      where not exists (
              select 1 from batch_tasks t
              where t.run_date = ${request.runDate}::date and t.prompt_id = u.prompt_id
                and t.provider = u.provider and t.status in ('pending', 'processing'))
        ${scopeFilter} ${orgFilter}
    )`;
}

export interface EnqueuePreview {
  units: number;
  orgs: number;
  byProvider: Record<string, number>;
}

/** What a request would enqueue right now, without writing: the repair confirm dialog shows it. */
export async function previewEnqueue(
  db: Db,
  request: Pick<EnqueueRequest, 'runDate' | 'scope' | 'orgIds'>,
): Promise<EnqueuePreview> {
  const rows = await queryRows<{ provider: string; units: number; orgs: number }>(
    db,
    sql`${candidateUnits(request)}
        select provider, count(*)::int as units, count(distinct org_id)::int as orgs
        from candidates group by rollup (provider) order by provider nulls last`,
  );
  const byProvider: Record<string, number> = {};
  let total = { units: 0, orgs: 0 };
  for (const row of rows) {
    if (row.provider === null) total = { units: row.units, orgs: row.orgs };
    else byProvider[row.provider] = row.units;
  }
  return { ...total, byProvider };
}

export async function enqueueUnits(db: Db, request: EnqueueRequest): Promise<EnqueueResult> {
  return db.transaction(async (tx) => {
    const inserted = await queryRows<{ batch_job_id: string; provider: string }>(
      tx as unknown as Db,
      sql`${candidateUnits(request)},
          new_jobs as (
            insert into batch_jobs (org_id, run_date, source, status, total_tasks, triggered_by, created_at, metadata)
            select org_id, ${request.runDate}::date, ${request.source}, 'queued', 0, ${request.triggeredBy},
                   ${request.now.toISOString()}::timestamptz, ${JSON.stringify(request.metadata ?? {})}::jsonb
            from candidates group by org_id
            returning id, org_id
          )
          insert into batch_tasks (batch_job_id, org_id, prompt_id, provider, run_date, status, max_attempts,
                                   available_at, created_at)
          select j.id, c.org_id, c.prompt_id, c.provider, ${request.runDate}::date, 'pending',
                 ${request.maxAttempts}::int, ${request.now.toISOString()}::timestamptz,
                 ${request.now.toISOString()}::timestamptz
          from candidates c
          join new_jobs j on j.org_id = c.org_id
          on conflict (run_date, prompt_id, provider) where status in ('pending', 'processing') do nothing
          returning batch_job_id, provider`,
    );
    // A concurrent request may have won some units: totals count what this one really inserted,
    // and a job left with no task is removed so it never reads as a completed org.
    const counts = new Map<string, number>();
    const byProvider: Record<string, number> = {};
    for (const row of inserted) {
      counts.set(row.batch_job_id, (counts.get(row.batch_job_id) ?? 0) + 1);
      byProvider[row.provider] = (byProvider[row.provider] ?? 0) + 1;
    }
    const jobIds = [...counts.keys()];
    await tx.execute(
      sql`update batch_jobs j set total_tasks = c.n::int
          from jsonb_each_text(${JSON.stringify(Object.fromEntries(counts))}::jsonb) as c(id, n)
          where j.id = c.id::uuid`,
    );
    await tx.execute(
      sql`delete from batch_jobs j
            where j.run_date = ${request.runDate}::date and j.total_tasks = 0 and j.status = 'queued'
              and j.created_at = ${request.now.toISOString()}::timestamptz and j.triggered_by = ${request.triggeredBy}
              and not exists (select 1 from batch_tasks t where t.batch_job_id = j.id)`,
    );
    return { jobs: jobIds.length, tasks: inserted.length, orgs: jobIds.length, byProvider, jobIds };
  });
}
