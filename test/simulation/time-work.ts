import { DateTime } from 'luxon';
import { PROVIDER_NAMES } from '../../src/providers/types.ts';
import { claimableProviders, claimTasks } from '../../src/queue/claim-tasks.ts';
import { runReconciler } from '../../src/scheduler/reconciler.ts';
import { schedulerTick } from '../../src/scheduler/scheduler-tick.ts';
import { startWorker } from '../../src/scheduler/worker.ts';
import { type Model, SimCommand } from './model.ts';
import type { World } from './world.ts';

/** Time and workers: the scheduler's timers, and workers that finish, die or join. */

export const FIRES = ['trigger', 'postcheck', 'reconciler', 'midnight'] as const;
export type Fire = (typeof FIRES)[number];

/** The next instant after `now` at which the timer fires, in the business zone (DST-aware). */
export function nextFire(now: Date, zone: string, fire: Fire): Date {
  const local = DateTime.fromJSDate(now, { zone });
  if (fire === 'reconciler') {
    const next = local.plus({ minutes: 5 - (local.minute % 5) }).set({ second: 0, millisecond: 0 });
    return next.toJSDate();
  }
  const hour = fire === 'trigger' ? 3 : fire === 'postcheck' ? 4 : 0;
  const minute = fire === 'midnight' ? 5 : 0;
  let at = local.set({ hour, minute, second: 0, millisecond: 0 });
  if (at <= local) at = at.plus({ days: 1 }).set({ hour, minute });
  return at.toJSDate();
}

/**
 * The reconciler's timer ticks every 5 minutes; after each timer, the next two of its ticks run
 * before time jumps on: the tries a Slack delivery that failed gets within the audit's 10 minutes
 * of grace. The rest of a day's 5-minute ticks repeat them and are left out for speed.
 */
const RETRY_TICKS = 2;

/**
 * Time passes with the scheduler running, to the next fire of `fire`: every trigger and postcheck
 * timer on the way fires too (a jump over 04:00 does not skip the postcheck), each followed by the
 * reconciler's next ticks (RETRY_TICKS), then the target's.
 */
export class Tick extends SimCommand {
  readonly name = 'time';
  constructor(readonly fire: Fire) {
    super();
  }
  async act(m: Model, w: World) {
    const zone = w.deps.config.timezone;
    const target = nextFire(w.at.now, zone, this.fire).getTime();
    let retries = 0;
    for (;;) {
      const timer = Math.min(
        nextFire(w.at.now, zone, 'trigger').getTime(),
        nextFire(w.at.now, zone, 'postcheck').getTime(),
        target,
      );
      const reconciler = nextFire(w.at.now, zone, 'reconciler').getTime();
      const retry = retries < RETRY_TICKS && reconciler < timer;
      retries = retry ? retries + 1 : 0;
      w.at.now = new Date(retry ? reconciler : timer);
      // As the timers of cron.ts: the reconciler's timer reconciles, then every timer ticks.
      await runReconciler(w.deps);
      const result = await schedulerTick(w.stepDeps, { now: w.at.now, deliveries: w.deliveries });
      if (result.postcheck === 'ran') m.changedSinceMeasure.delete(result.runDate);
      if (w.at.now.getTime() >= target) return;
      // The next tick is minutes or hours away, and the Slack deliveries this one started end
      // within seconds (a timeout, a few retries). Still running at the next tick, a post that
      // fails after it reaches no tick at all, which no real process sees.
      await w.deliveries.settled();
    }
  }
  toString() {
    return `Tick(${this.fire})`;
  }
}

/** A drain with no provider call ending for this long is stuck (tasks no worker takes). */
const DRAIN_STALL_MS = 20_000;

/** Workers that claim until nothing they can run is left (or until `stopAfter` results). */
export class Work extends SimCommand {
  readonly name = 'work';
  constructor(
    readonly workers: number,
    readonly stopAfter: number | undefined,
  ) {
    super();
  }
  async act(m: Model, w: World) {
    // The drain invariant (no live task left without a reason) holds only for a drain left to finish.
    m.workerRan = this.stopAfter === undefined;
    w.at.runningSince = performance.now();
    let lastCallAt = performance.now();
    const handles = Array.from({ length: this.workers }, (_, i) => {
      let results = 0;
      const handle = startWorker(w.deps, {
        adapters: w.providers.adapters(),
        workerId: `sim-worker-${i}`,
        concurrency: 3,
        drain: true,
        skipPaused: true,
        pollIntervalMs: 5,
        idlePollMs: 20,
        maxIdlePollMs: 50,
        heartbeatMs: 60_000,
        graceMs: 2_000,
        random: () => 0,
        onTaskFinished: w.nights.taskFinished,
        onResult: () => {
          lastCallAt = performance.now();
          results += 1;
          if (this.stopAfter !== undefined && results === this.stopAfter) void handle.stop();
        },
      });
      return handle;
    });
    // A drain that never ends is a finding (tasks no worker will ever take), not a hang: it is
    // stopped once no provider call has ended for DRAIN_STALL_MS. A limit on the whole drain
    // mistook a slow one for a stuck one (every unit refused 4 times with a 429 takes 160 paused
    // calls one after another, over 30 s on a loaded machine).
    const watchdog = setInterval(() => {
      if (performance.now() - lastCallAt < DRAIN_STALL_MS) return;
      for (const h of handles) void h.stop();
      m.drainTimedOut = true;
    }, 1_000);
    try {
      await Promise.all(handles.map((h) => h.done));
    } finally {
      clearInterval(watchdog);
      w.at.now = w.deps.clock();
      w.at.runningSince = undefined;
    }
  }
  toString() {
    return `Work(workers=${this.workers}${this.stopAfter === undefined ? '' : `, stopAfter=${this.stopAfter}`})`;
  }
}

/** A worker that claims tasks and dies: its leases (one second) run out on the database clock. */
export class KillWorker extends SimCommand {
  readonly name = 'work-killed';
  constructor(readonly tasks: number) {
    super();
  }
  async act(_m: Model, w: World) {
    const providers = await claimableProviders(w.db, PROVIDER_NAMES);
    if (providers.length === 0) return;
    await claimTasks(w.db, { workerId: 'sim-killed-worker', providers, limit: this.tasks, leaseSeconds: 1 });
  }
  toString() {
    return `KillWorker(tasks=${this.tasks})`;
  }
}
