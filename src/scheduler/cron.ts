import cron, { type ScheduledTask } from 'node-cron';
import { toError } from '../errors.ts';
import { createDeliveries } from './deliveries.ts';
import type { StepDeps } from './night-reporter.ts';
import { runReconciler } from './reconciler.ts';
import { type SchedulerHooks, schedulerTick } from './scheduler-tick.ts';

/**
 * node-cron wiring only: every timer, and the start-up, asks schedulerTick to look; the reconciler
 * timer also reconciles. Ticks of one process run one after the other (the trigger and reconciler
 * timers both fire at 03:00), and nothing they throw escapes. What they post to Slack runs apart
 * (deliveries.ts): a Slack that hangs never holds the chain.
 */

/** A timer may fire a hair before its minute; looking this far ahead still sees the step as due. */
const EARLY_FIRE_TOLERANCE_MS = 1_000;

export interface SchedulerHandle {
  /** Settles when the start-up catch-up tick has finished (tests and logs wait on it). */
  ready: Promise<void>;
  /** Stops the timers and waits for a tick in progress. */
  stop(): Promise<void>;
}

export function startScheduler(deps: StepDeps, hooks: SchedulerHooks = {}): SchedulerHandle {
  const { timezone, cron: expressions } = deps.config;
  let chain: Promise<void> = Promise.resolve();
  let stopped = false;
  const deliveries = createDeliveries(deps.logger);

  const run = (label: string, work: (now: Date) => Promise<unknown>): Promise<void> => {
    chain = chain.then(async () => {
      if (stopped) return;
      const now = new Date(deps.clock().getTime() + EARLY_FIRE_TOLERANCE_MS);
      try {
        await work(now);
      } catch (error) {
        // schedulerTick and runReconciler persist their own failures; this is the last net.
        deps.logger.error({ err: toError(error), timer: label }, `scheduler: ${label} tick failed`);
      }
    });
    return chain;
  };
  const tick = (now: Date) => schedulerTick(deps, { now, hooks, deliveries });
  const logger = cronLogger(deps);
  const every = (name: string, expression: string, work: (now: Date) => Promise<unknown>): ScheduledTask =>
    cron.schedule(expression, () => run(name, work), { name: `sched-${name}`, timezone, logger });

  const tasks = [
    every('trigger', expressions.trigger, tick),
    every('postcheck', expressions.postcheck, tick),
    // The reconciler's frequent timer doubles as the catch-up tick after sleep or a missed timer.
    every('reconciler', expressions.reconciler, async (now) => {
      try {
        const result = await runReconciler(deps);
        deps.logger.debug({ ...result }, 'scheduler: reconciled');
      } finally {
        await tick(now);
      }
    }),
  ];
  deps.logger.info({ timezone, ...expressions }, 'scheduler started');

  return {
    ready: run('startup', tick),
    async stop() {
      stopped = true;
      for (const task of tasks) await task.destroy();
      await chain;
      await deliveries.settled();
    },
  };
}

function cronLogger(deps: StepDeps) {
  return {
    info: (message: string) => deps.logger.debug({ source: 'node-cron' }, message),
    warn: (message: string) => deps.logger.warn({ source: 'node-cron' }, message),
    error: (message: string | Error, err?: Error) =>
      deps.logger.error({ source: 'node-cron', err: err ?? toError(message) }, String(message)),
    debug: (message: string | Error) => deps.logger.debug({ source: 'node-cron' }, String(message)),
  };
}
