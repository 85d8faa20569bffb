import type { Middleware, SlackEventMiddlewareArgs } from '@slack/bolt';
import { HOME_NIGHTS, homeView } from '../../blocks/home-view.ts';
import { toNightProgress } from '../../blocks/night-progress.ts';
import { listHistory } from '../../scheduler/history.ts';
import { measureNightPace } from '../../scheduler/night-pace.ts';
import { measureCoverage } from '../../scheduler/postcheck.ts';
import { measureProgress } from '../../scheduler/progress.ts';
import { runDateOf } from '../../time/business-day.ts';
import type { SlackDeps } from '../slack-deps.ts';

/** App Home: today's night (progress while it runs, coverage once nothing is live) and the 14 nights before. */
export const appHomeOpenedEvent =
  (deps: SlackDeps): Middleware<SlackEventMiddlewareArgs<'app_home_opened'>> =>
  async ({ event, client }) => {
    if (event.tab !== 'home') return;
    const now = deps.clock();
    const timezone = deps.config.timezone;
    const runDate = runDateOf(now, timezone);
    const [progress, pace, nights] = await Promise.all([
      measureProgress(deps.db, { runDate, now }),
      measureNightPace(deps, { runDate, now }),
      listHistory(deps.db, { days: HOME_NIGHTS, offset: 1, now, timezone }),
    ]);
    // While the night runs its figures are the counts' (provisional): coverage is measured once
    // nothing is live, as the postcheck measures it, not from every unit not answered yet.
    const report =
      progress.total > 0 && progress.live === 0 ? await measureCoverage(deps, { runDate, now }) : undefined;
    await client.views.publish({
      user_id: event.user,
      view: homeView({
        today: { runDate, report, progress: toNightProgress(progress, pace.projection) },
        nights,
        now,
        timezone,
      }),
    });
  };
