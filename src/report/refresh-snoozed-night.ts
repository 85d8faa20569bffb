import type { webApi } from '@slack/bolt';
import { toError } from '../errors.ts';
import { refreshNight } from '../scheduler/refresh-night.ts';
import { runDateOf } from '../time/business-day.ts';
import type { ReportDeps } from './report-poster.ts';
import { slackNightReporter } from './slack-night-reporter.ts';

/**
 * A snooze changes what the report shows apart and what Repair offers: the night reported this
 * morning is re-measured (snoozes apply at measure time) and its messages edited at once
 * (refreshNight), rather than at the next postcheck or repair. Never throws: the snooze itself is
 * already in place.
 */
export async function refreshSnoozedNight(
  deps: ReportDeps & { client: Pick<webApi.WebClient, 'chat' | 'conversations' | 'files'> },
): Promise<void> {
  const runDate = runDateOf(deps.clock(), deps.config.timezone);
  try {
    await refreshNight({ ...deps, reporter: slackNightReporter(deps) }, { runDate, triggeredBy: 'snooze' });
  } catch (error) {
    deps.logger.warn({ err: toError(error), runDate }, 'could not edit the report after a snooze');
  }
}
