import type { Deps } from '../context.ts';
import { buildCoverageReport } from '../coverage/coverage-math.ts';
import { type CoverageRows, queryCoverage } from '../coverage/coverage-query.ts';
import type { CoverageReport } from '../coverage/types.ts';
import { PLAN_PROVIDERS, type Plan } from '../db/plans.ts';
import type { Org } from '../orgs/find-org.ts';
import { measureProgress } from './progress.ts';

/**
 * `/sched-status <org>`: the night's coverage seen through one org. The day's coverage rows are
 * narrowed to the org and go through the same coverage math as the whole night, so an org's
 * numbers can never disagree with the report's. undefined when the org has nothing expected.
 */
export async function measureOrgCoverage(
  deps: Pick<Deps, 'db' | 'config' | 'clock'>,
  params: { runDate: string; org: Pick<Org, 'id'> },
): Promise<CoverageReport | undefined> {
  const { runDate, org } = params;
  const now = deps.clock();
  const [rows, progress] = await Promise.all([
    queryCoverage(deps.db, runDate),
    measureProgress(deps.db, { runDate, now }),
  ]);
  const orgRow = rows.orgs.find((o) => o.org_id === org.id);
  if (!orgRow) return undefined;
  const tasks = progress.byOrg.find((o) => o.orgId === org.id);
  const narrowed = narrowRows(rows, orgRow, tasks);
  return buildCoverageReport(narrowed, {
    runDate,
    timezone: deps.config.timezone,
    generatedAt: now,
    thresholds: deps.config.thresholds,
  });
}

type OrgRow = CoverageRows['orgs'][number];
type OrgTasks = { completed: number; failed: number; pending: number; processing: number; done: number };

/** Pure: the rows of one org; each entitled, enabled provider expects one unit per expected prompt. */
export function narrowRows(rows: CoverageRows, org: OrgRow, tasks: OrgTasks | undefined): CoverageRows {
  const missing = rows.missing.filter((m) => m.org_id === org.org_id);
  const entitled: readonly string[] = PLAN_PROVIDERS[org.plan as Plan] ?? [];
  const providers = rows.providers.map((p) => {
    const expected = p.enabled && entitled.includes(p.provider) ? Number(org.expected_prompts) : 0;
    const missed = missing.filter((m) => m.provider === p.provider).length;
    return { ...p, expected_units: expected, succeeded_units: expected - missed };
  });
  return {
    orgs: [org],
    providers,
    missing,
    over_quota: rows.over_quota.filter((o) => o.org_id === org.org_id),
    tasks: {
      pending: tasks?.pending ?? 0,
      processing: tasks?.processing ?? 0,
      completed: tasks?.completed ?? 0,
      failed: tasks?.failed ?? 0,
      cancelled: tasks ? tasks.done - tasks.completed - tasks.failed : 0,
    },
  };
}
