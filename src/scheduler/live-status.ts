import type { Deps } from '../context.ts';
import { firstLiveUnits, type LiveUnit, liveUnitsPage } from '../queue/live-units.ts';
import { measureProgress, type Progress } from './progress.ts';

/**
 * A running night as /sched-status shows it: progress from the task counts, the orgs with the
 * most left and the first units of each, and "Show all"'s pages. Nothing here reads more tasks
 * than a message shows.
 */

export const LIVE_MAX_ORGS = 5;
export const LIVE_UNITS_PER_ORG = 3;

export interface LiveOrg {
  orgId: string;
  name: string;
  /** Units of the org not answered yet (tasks not completed), from the counts. */
  left: number;
}

export interface LiveStatus {
  runDate: string;
  progress: Progress;
  /** Orgs with units left, most first. */
  orgs: LiveOrg[];
  /** The first units of the first LIVE_MAX_ORGS orgs. */
  units: LiveUnit[];
}

/** Pure: the orgs with units left (not completed), most first, then by name. */
export function orgsWithWorkLeft(
  orgs: readonly { orgId: string; name: string; total: number; completed: number }[],
): LiveOrg[] {
  return orgs
    .map((o) => ({ orgId: o.orgId, name: o.name, left: o.total - o.completed }))
    .filter((o) => o.left > 0)
    .sort((a, b) => b.left - a.left || a.name.localeCompare(b.name) || a.orgId.localeCompare(b.orgId));
}

/**
 * The live status of `progress`'s night (measureProgress); undefined once nothing of it is live:
 * the status then measures coverage as the postcheck does.
 */
export async function measureLiveStatus(
  deps: Pick<Deps, 'db'>,
  params: { runDate: string; progress: Progress },
): Promise<LiveStatus | undefined> {
  const { runDate, progress } = params;
  if (progress.live === 0) return undefined;
  const orgs = orgsWithWorkLeft(progress.byOrg);
  const units = await firstLiveUnits(deps.db, {
    runDate,
    orgIds: orgs.slice(0, LIVE_MAX_ORGS).map((o) => o.orgId),
    perOrg: LIVE_UNITS_PER_ORG,
  });
  return { runDate, progress, orgs, units };
}

/** One page of a running night's units not answered yet ("Show all"), with the org names and the total. */
export async function liveUnitsPageOf(
  deps: Pick<Deps, 'db'>,
  params: { runDate: string; page: number; pageSize: number; now: Date },
) {
  const { runDate, now, pageSize } = params;
  const progress = await measureProgress(deps.db, { runDate, now });
  const orgs = orgsWithWorkLeft(progress.byOrg);
  const left = orgs.reduce((n, o) => n + o.left, 0);
  const pages = Math.max(1, Math.ceil(left / pageSize));
  const page = Math.min(Math.max(0, Math.floor(params.page)), pages - 1);
  const units = await liveUnitsPage(deps.db, { runDate, offset: page * pageSize, limit: pageSize });
  return { runDate, page, left, units, orgNames: new Map(orgs.map((o) => [o.orgId, o.name])) };
}
