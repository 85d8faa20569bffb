import { sql } from 'drizzle-orm';
import { type Db, queryRows } from '../db/client.ts';
import { readNightCounts } from '../queue/task-counts.ts';

/**
 * Live progress of a run_date's tasks: done / total per org and per provider, the finishing rate
 * over the last few minutes and the finish it implies. Read from the task counts; the math is pure below.
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

type StatusCounts = Omit<ProgressCounts, 'done'> & { cancelled: number };

const noCounts = (): StatusCounts => ({
  total: 0,
  completed: 0,
  failed: 0,
  cancelled: 0,
  pending: 0,
  processing: 0,
});

/**
 * Read from the task counts (src/queue/task-counts.ts), not from the night's tasks: a few rows
 * per (org, provider) whatever the size of the night, so the progress lines, /sched-status, App
 * Home and /metrics cost the same at 400,000 units as at 400. `sched audit` holds the counts
 * equal to the tasks.
 */
export async function measureProgress(db: Db, params: { runDate: string; now: Date }): Promise<Progress> {
  const { runDate, now } = params;
  const windowStart = new Date(now.getTime() - RATE_WINDOW_MINUTES * 60_000);
  const counts = await readNightCounts(db, { runDate, since: windowStart, until: now });
  const orgIds = [...new Set(counts.rows.map((r) => r.orgId))];
  const names = new Map(
    orgIds.length === 0
      ? []
      : (
          await queryRows<{ id: string; name: string }>(
            db,
            sql`select id, name from organizations where id = any(${sql.param(orgIds)}::uuid[])`,
          )
        ).map((o) => [o.id, o.name]),
  );
  const orgs = new Map<string, ProgressRow['orgs'][number]>();
  const providers = new Map<string, ProgressRow['providers'][number]>();
  for (const row of counts.rows) {
    const org = orgs.get(row.orgId) ?? {
      orgId: row.orgId,
      name: names.get(row.orgId) ?? row.orgId,
      ...noCounts(),
    };
    const provider = providers.get(row.provider) ?? { provider: row.provider, ...noCounts() };
    for (const c of [org, provider] as StatusCounts[]) {
      c.total += row.tasks;
      if (row.status in c && row.status !== 'total') c[row.status as keyof StatusCounts] += row.tasks;
    }
    orgs.set(row.orgId, org);
    providers.set(row.provider, provider);
  }
  const doc: ProgressRow = {
    started_at: counts.firstStart,
    finished_in_window: counts.finishedInWindow,
    orgs: [...orgs.values()].sort((a, b) => a.name.localeCompare(b.name) || a.orgId.localeCompare(b.orgId)),
    providers: [...providers.values()].sort((a, b) => a.provider.localeCompare(b.provider)),
  };
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
