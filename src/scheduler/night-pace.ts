import type { Deps } from '../context.ts';
import { FUNCTION_NAMES, runState } from '../store/scheduler-runs.ts';
import { runDateRange } from '../time/business-day.ts';
import { lastFireOnRunDate } from '../time/cron-matcher.ts';
import { failureWindow, isHeld, watchProjection } from './early-warning-rules.ts';
import type { NightProjection } from './night-projection.ts';
import { readNightWatch } from './night-watch-query.ts';

/**
 * The night's projected finish and each provider's failure share, as /sched-status, App Home,
 * `sched status` and /metrics show them: the night watch's reading and math, read-only.
 */

type PaceDeps = Pick<Deps, 'db' | 'config'>;

/**
 * The run_date's scheduled postcheck: `done` once its run row completed; `at` its cron time when
 * that is still ahead of now, else null (a console night run at noon has no postcheck ahead).
 */
export async function postcheckAhead(
  deps: PaceDeps,
  params: { runDate: string; now: Date },
): Promise<{ done: boolean; at: Date | null }> {
  const { runDate, now } = params;
  const run = await runState(deps.db, { functionName: FUNCTION_NAMES.postcheck, runKey: runDate });
  const zone = deps.config.timezone;
  const endOfDay = runDateRange(runDate, zone).end;
  const at = lastFireOnRunDate(deps.config.cron.postcheck, runDate, endOfDay, zone) ?? null;
  return { done: run?.status === 'completed', at: at && at > now ? at : null };
}

export interface NightPace {
  projection: NightProjection;
  /** Failure share over the early-warning window, per provider with calls in it. */
  failureRates: { provider: string; rate: number; calls: number }[];
}

export async function measureNightPace(
  deps: PaceDeps,
  params: { runDate: string; now: Date },
): Promise<NightPace> {
  const { runDate, now } = params;
  const [postcheck, providers] = await Promise.all([
    postcheckAhead(deps, params),
    readNightWatch(deps.db, {
      runDate,
      now,
      windowMinutes: deps.config.nightWatch.windowMinutes,
      windowCalls: deps.config.nightWatch.windowCalls,
    }),
  ]);
  return {
    projection: watchProjection(providers, now, postcheck.done ? null : postcheck.at),
    failureRates: providers
      .map((p) => ({ provider: p.provider, ...failureWindow(p.outcomes, isHeld(p, now)) }))
      .filter((p) => p.calls > 0)
      .map(({ provider, rate, calls }) => ({ provider, rate, calls })),
  };
}
