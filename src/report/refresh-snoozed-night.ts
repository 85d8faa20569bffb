import type { webApi } from '@slack/bolt';
import { toError } from '../errors.ts';
import { nightState, remeasureNight } from '../scheduler/refresh-night.ts';
import { runDateOf } from '../time/business-day.ts';
import { type ReportDeps, refreshNightReports } from './report-poster.ts';

/**
 * A snooze changes what the report shows apart and what Repair offers: the night reported this
 * morning is re-measured (snoozes apply at measure time) and its messages edited at once, rather
 * than at the next postcheck or repair. Never throws: the snooze itself is already in place.
 */
export async function refreshSnoozedNight(
  deps: ReportDeps,
  client: Pick<webApi.WebClient, 'chat'>,
): Promise<void> {
  const runDate = runDateOf(deps.clock(), deps.config.timezone);
  try {
    const state = await nightState(deps.db, runDate);
    if (!state.postchecked || !state.reported) return;
    await remeasureNight(deps, runDate, 'snooze');
    await refreshNightReports(deps, client, runDate);
  } catch (error) {
    deps.logger.warn({ err: toError(error), runDate }, 'could not edit the report after a snooze');
  }
}
