import type { Deps } from '../context.ts';
import { toError } from '../errors.ts';
import {
  type PrunedNight,
  pruneNight,
  type RetentionCandidate,
  retentionCandidates,
} from '../queue/prune-night.ts';
import { FUNCTION_NAMES } from '../store/scheduler-runs.ts';
import { addDays, runDateOf } from '../time/business-day.ts';

/**
 * Opt-in retention (QUEUE_RETENTION_DAYS, RESPONSE_RETENTION_DAYS): nights older than the window
 * lose their queue rows once their figures are recorded (src/queue/prune-night.ts). Runs after
 * each postcheck and as `sched retention [--dry-run]`; each night in its own transaction, so a
 * night that cannot take its lock now is left for the next run and the others still go.
 */

export interface RetentionResult {
  enabled: boolean;
  dryRun: boolean;
  /** Nights past the window and what goes (or would go) of each. */
  nights: RetentionCandidate[];
  pruned: PrunedNight[];
  /** Nights whose pruning failed this time (a lock not granted in time, for one). */
  failed: { runDate: string; error: string }[];
}

export async function runRetention(
  deps: Pick<Deps, 'db' | 'config' | 'clock' | 'logger'>,
  params: { dryRun: boolean },
): Promise<RetentionResult> {
  const { queueRetentionDays, responseRetentionDays, timezone } = deps.config;
  const empty = { dryRun: params.dryRun, nights: [], pruned: [], failed: [] };
  if (queueRetentionDays === undefined) return { enabled: false, ...empty };
  const today = runDateOf(deps.clock(), timezone);
  const nights = await retentionCandidates(deps.db, {
    queueBefore: addDays(today, -queueRetentionDays),
    responsesBefore:
      responseRetentionDays === undefined
        ? undefined
        : addDays(today, -Math.max(responseRetentionDays, queueRetentionDays)),
    postcheckFunction: FUNCTION_NAMES.postcheck,
  });
  const result: RetentionResult = { enabled: true, ...empty, nights };
  if (params.dryRun) return result;
  for (const night of nights) {
    if (!night.queue && !night.responses) continue;
    try {
      const pruned = await pruneNight(deps.db, night, deps.clock());
      result.pruned.push(pruned);
      deps.logger.info({ ...pruned }, `retention: pruned ${night.runDate}`);
    } catch (error) {
      const message = toError(error).message;
      result.failed.push({ runDate: night.runDate, error: message });
      deps.logger.warn(
        { err: toError(error), runDate: night.runDate },
        'retention: night left for next time',
      );
    }
  }
  return result;
}
