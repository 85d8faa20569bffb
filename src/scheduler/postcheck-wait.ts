import type { Db } from '../db/client.ts';
import { nightHasLiveTasks } from '../queue/live-tasks.ts';
import { FUNCTION_NAMES, runState } from '../store/scheduler-runs.ts';

/**
 * A postcheck that catches up after downtime would otherwise run in the same tick as the late
 * trigger and report the whole night as pending. When the trigger itself ran after the
 * postcheck's time, the postcheck waits while the night's tasks are still live, for at most
 * LATE_NIGHT_WAIT_MINUTES after the trigger, then runs whatever the state.
 */
export const LATE_NIGHT_WAIT_MINUTES = 60;

/** Pure: should a due postcheck wait for a night that started late? */
export function waitsForLateNight(input: {
  triggerStartedAt: Date | undefined;
  postcheckDueAt: Date | undefined;
  liveTasks: boolean;
  now: Date;
}): boolean {
  const { triggerStartedAt, postcheckDueAt, liveTasks, now } = input;
  if (!triggerStartedAt || !postcheckDueAt || !liveTasks) return false;
  const lateTrigger = triggerStartedAt.getTime() > postcheckDueAt.getTime();
  const waitedEnough = now.getTime() >= triggerStartedAt.getTime() + LATE_NIGHT_WAIT_MINUTES * 60_000;
  return lateTrigger && !waitedEnough;
}

/** When today's trigger started, and whether any task of the night is still live. */
export async function lateNightState(
  db: Db,
  runDate: string,
): Promise<{ triggerStartedAt: Date | undefined; liveTasks: boolean }> {
  const [trigger, liveTasks] = await Promise.all([
    runState(db, { functionName: FUNCTION_NAMES.trigger, runKey: runDate }),
    nightHasLiveTasks(db, runDate),
  ]);
  return { triggerStartedAt: trigger?.started_at ? new Date(trigger.started_at) : undefined, liveTasks };
}
