import type { Db } from '../db/client.ts';
import { latestRepairRow } from '../store/scheduler-run-history.ts';

/**
 * Where the night's latest repair that enqueued work stands, read from the database alone, so any
 * process (a worker finishing the last task, a CLI postcheck, the Repair button's watcher) shows
 * the same repair line on the report. A repair that enqueued nothing is not a repair here.
 */

export interface RepairProgress {
  triggeredBy: string;
  startedAt: Date;
  units: number;
  done: number;
  failed: number;
  live: number;
  /** The repair's last task completion, once none of its tasks is live. */
  finishedAt: Date | undefined;
}

export async function latestRepairProgress(db: Db, runDate: string): Promise<RepairProgress | undefined> {
  const row = await latestRepairRow(db, runDate);
  if (!row) return undefined;
  const finished = row.live === 0 ? (row.finished_at ?? row.started_at) : null;
  return {
    triggeredBy: row.triggered_by,
    startedAt: new Date(row.started_at),
    units: row.units,
    done: row.done,
    failed: row.failed,
    live: row.live,
    finishedAt: finished === null ? undefined : new Date(finished),
  };
}
