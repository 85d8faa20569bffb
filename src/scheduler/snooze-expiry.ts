import { toError } from '../errors.ts';
import { claimOverSnoozes, recordExpiryPosted, releaseExpiry } from '../store/snoozes.ts';
import type { StepDeps } from './night-reporter.ts';

/**
 * Run by every live instance on each scheduler tick: each snooze that is over (its time is up, it
 * was ended early, or a success ended it) gets one line in the report's thread. The claim comes
 * first (snoozes.ts claimOverSnoozes), so however many instances tick, the line is posted once; a
 * post that fails hands the claim back and the next tick tries again. Returns the ids posted.
 */
export async function postOverSnoozes(deps: StepDeps, params: { now: Date }): Promise<number[]> {
  const { now } = params;
  const { reporter } = deps;
  // Without a channel nothing is claimed: an instance that can post may still do it.
  if (!reporter || !deps.config.slack.reportChannel) return [];
  const posted: number[] = [];
  try {
    for (const snooze of await claimOverSnoozes(deps.db, now)) {
      try {
        const where = await reporter.snoozeOver(snooze);
        await recordExpiryPosted(deps.db, { id: snooze.id, ts: where?.ts ?? null });
        deps.logger.info({ snoozeId: snooze.id, endedBy: snooze.endedBy }, 'snooze over: posted');
        posted.push(snooze.id);
      } catch (error) {
        await releaseExpiry(deps.db, snooze.id).catch(() => undefined);
        deps.logger.error(
          { err: toError(error), snoozeId: snooze.id },
          'snooze notice not posted; the next tick tries again',
        );
      }
    }
  } catch (error) {
    deps.logger.error({ err: toError(error) }, 'snooze notices not claimed; the next tick tries again');
  }
  return posted;
}
