import { sql } from 'drizzle-orm';
import { type Db, queryOne } from '../db/client.ts';

/**
 * Live progress of a run_date's tasks: done / total per org and per provider, the finishing rate
 * over the last few minutes and the finish it implies. One statement; the math is pure below.
 */

/** Rate window: long enough to smooth bursts, short enough to notice a stalled provider. */
export const RATE_WINDOW_MINUTES = 5;

export interface ProgressCounts {
  total: number;
  /** completed + failed + cancelled: no longer live. */
  done: number;
  completed: number;
  failed: number;
  pending: number;
  processing: number;
}

export interface OrgProgress extends ProgressCounts {
  orgId: string;
  name: string;
}

export interface ProviderProgress extends ProgressCounts {
  provider: string;
}

export interface Progress extends ProgressCounts {
  runDate: string;
  /** pending + processing. */
  live: number;
  /** First task start of the run_date, or null before any worker touched it. */
  startedAt: Date | null;
  /** Tasks finished in the last RATE_WINDOW_MINUTES (or since the first start, if sooner). */
  finishedInWindow: number;
  windowMinutes: number;
  ratePerMinute: number;
  /** null when nothing is live or nothing finished lately (no rate to extrapolate). */
  estimatedFinish: Date | null;
  /** Orgs with tasks on run_date, most work left first. */
  byOrg: OrgProgress[];
  byProvider: ProviderProgress[];
}

interface ProgressRow {
  started_at: string | null;
  finished_in_window: number;
  orgs: (Omit<ProgressCounts, 'done'> & { orgId: string; name: string; cancelled: number })[];
  providers: (Omit<ProgressCounts, 'done'> & { provider: string; cancelled: number })[];
}

const COUNTS = sql`count(*)::int as total,
  count(*) filter (where t.status = 'completed')::int as completed,
  count(*) filter (where t.status = 'failed')::int as failed,
  count(*) filter (where t.status = 'cancelled')::int as cancelled,
  count(*) filter (where t.status = 'pending')::int as pending,
  count(*) filter (where t.status = 'processing')::int as processing`;

export async function measureProgress(db: Db, params: { runDate: string; now: Date }): Promise<Progress> {
  const { runDate, now } = params;
  const windowStart = new Date(now.getTime() - RATE_WINDOW_MINUTES * 60_000);
  const row = await queryOne<{ doc: ProgressRow | string }>(
    db,
    sql`with tasks as (select * from batch_tasks t where t.run_date = ${runDate}::date),
        by_org as (
          select t.org_id as "orgId", o.name, ${COUNTS}
          from tasks t join organizations o on o.id = t.org_id
          group by t.org_id, o.name
        ),
        by_provider as (select t.provider, ${COUNTS} from tasks t group by t.provider)
        select json_build_object(
          'started_at', (select min(started_at) from tasks),
          'finished_in_window', (select count(*) from tasks
                                 where status in ('completed', 'failed')
                                   and completed_at > ${windowStart.toISOString()}::timestamptz
                                   and completed_at <= ${now.toISOString()}::timestamptz),
          'orgs', (select coalesce(json_agg(b order by b.name, b."orgId"), '[]'::json) from by_org b),
          'providers', (select coalesce(json_agg(b order by b.provider), '[]'::json) from by_provider b)
        ) as doc`,
  );
  const doc: ProgressRow =
    typeof row?.doc === 'string' ? (JSON.parse(row.doc) as ProgressRow) : (row?.doc as ProgressRow);
  return buildProgress(runDate, doc, now);
}

const withDone = <T extends Omit<ProgressCounts, 'done'> & { cancelled: number }>({
  cancelled,
  ...c
}: T) => ({
  ...c,
  done: c.completed + c.failed + cancelled,
});

/** Pure: counts -> totals, rate and estimated finish. */
export function buildProgress(runDate: string, doc: ProgressRow, now: Date): Progress {
  const byOrg = doc.orgs
    .map(withDone)
    .sort((a, b) => b.total - b.done - (a.total - a.done) || a.name.localeCompare(b.name));
  const byProvider = doc.providers.map(withDone);
  const sum = (key: keyof ProgressCounts) => byProvider.reduce((n, p) => n + p[key], 0);
  const totals: ProgressCounts = {
    total: sum('total'),
    done: sum('done'),
    completed: sum('completed'),
    failed: sum('failed'),
    pending: sum('pending'),
    processing: sum('processing'),
  };
  const live = totals.pending + totals.processing;
  const startedAt = doc.started_at ? new Date(doc.started_at) : null;
  const elapsedMinutes = startedAt ? (now.getTime() - startedAt.getTime()) / 60_000 : 0;
  // A night that started two minutes ago has a two-minute window, not a five-minute one.
  const windowMinutes = Math.max(Math.min(RATE_WINDOW_MINUTES, elapsedMinutes), 1 / 60);
  const finishedInWindow = Number(doc.finished_in_window);
  const ratePerMinute = startedAt ? finishedInWindow / windowMinutes : 0;
  const estimatedFinish =
    live > 0 && ratePerMinute > 0 ? new Date(now.getTime() + (live / ratePerMinute) * 60_000) : null;
  return {
    runDate,
    ...totals,
    live,
    startedAt,
    finishedInWindow,
    windowMinutes,
    ratePerMinute,
    estimatedFinish,
    byOrg,
    byProvider,
  };
}
