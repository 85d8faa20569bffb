import { sql } from 'drizzle-orm';
import { type Db, queryRows } from '../db/client.ts';
import { isLive } from '../db/live-status.ts';
import type { ProviderName } from '../providers/types.ts';

/**
 * The units of a running night not answered yet (tasks not completed), as a message shows them:
 * the first few of a handful of orgs, or one page of the night. Each statement reads a bounded
 * number of tasks through the job index (the orgs' jobs, then their tasks by status), so its cost
 * does not grow with the night; how many there are in all comes from the task counts.
 */

export interface LiveUnit {
  orgId: string;
  promptId: string;
  provider: ProviderName;
  status: 'pending' | 'processing' | 'failed' | 'cancelled';
  errorClass: string | null;
  /** The prompt's first 80 characters. */
  text: string;
}

const UNANSWERED = sql.raw(`t.status in ('pending', 'processing', 'failed', 'cancelled')`);

const columns = sql`t.org_id as "orgId", t.prompt_id as "promptId", t.provider, t.status,
  t.error_class as "errorClass",
  (select case when length(p.text) > 80 then left(p.text, 80) || '...' else p.text end
   from prompts p where p.id = t.prompt_id) as text`;

/** Up to `perOrg` unanswered units of each org in `orgIds` (failed first, then the oldest tasks). */
export async function firstLiveUnits(
  db: Db,
  params: { runDate: string; orgIds: readonly string[]; perOrg: number },
): Promise<LiveUnit[]> {
  const { runDate, orgIds, perOrg } = params;
  if (orgIds.length === 0) return [];
  return queryRows<LiveUnit>(
    db,
    sql`select u.* from unnest(${sql.param([...orgIds])}::uuid[]) with ordinality o(id, ord)
        cross join lateral (
          select ${columns}
          from batch_tasks t
          where t.run_date = ${runDate}::date and ${UNANSWERED}
            and t.batch_job_id in (select j.id from batch_jobs j where j.run_date = ${runDate}::date and j.org_id = o.id)
          order by ${isLive('t.status')}, t.id
          limit ${perOrg}
        ) u
        order by o.ord`,
  );
}

/** One page of the night's unanswered units, in task order (the full list behind "Show all"). */
export async function liveUnitsPage(
  db: Db,
  params: { runDate: string; offset: number; limit: number },
): Promise<LiveUnit[]> {
  const { runDate, offset, limit } = params;
  return queryRows<LiveUnit>(
    db,
    sql`select ${columns} from batch_tasks t
        where t.run_date = ${runDate}::date and ${UNANSWERED}
        order by t.id
        limit ${limit} offset ${offset}`,
  );
}
