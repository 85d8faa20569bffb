import type fc from 'fast-check';
import { runDateOf } from '../../src/time/business-day.ts';
import type { World } from './world.ts';

/**
 * The model fast-check runs the commands against: not a second implementation of the product,
 * only what the invariants need to know and the tables cannot tell (how many requests asked
 * for work, who acted, when configuration last changed), and the run's tallies.
 */
export interface Model {
  /** Accepted requests that may enqueue units of a run_date (repairs, reruns, ?repair=true). */
  requests: Map<string, number>;
  /** A command changed what is expected (provider, prompt, org, plan) since the night was measured. */
  changedSinceMeasure: Set<string>;
  /** Whether a worker ran in the last command (the lease invariant applies then). */
  workerRan: boolean;
  /** A worker's drain did not end within its bound: tasks left that no worker takes. */
  drainTimedOut: boolean;
  /** Commands run, by name. */
  counts: Map<string, number>;
  /** Invariant checks passed, by invariant. */
  checks: Map<string, number>;
}

export function newModel(): Model {
  return {
    requests: new Map(),
    changedSinceMeasure: new Set(),
    workerRan: false,
    drainTimedOut: false,
    counts: new Map(),
    checks: new Map(),
  };
}

export const bump = (map: Map<string, number>, key: string, by = 1) => map.set(key, (map.get(key) ?? 0) + by);

export const tonight = (w: World) => runDateOf(w.at.now, w.deps.config.timezone);

/** Every command: act, wait until the world is quiet, then the invariants (run.ts sets them). */
export abstract class SimCommand implements fc.AsyncCommand<Model, World> {
  /** Commands run by someone who is not an admin must change no table (invariant 5). */
  get outsider(): boolean {
    return false;
  }

  /** Whether this command, in this world, is a non-admin's request. */
  byOutsider(_w: World): boolean {
    return this.outsider;
  }
  abstract readonly name: string;

  check(_m: Readonly<Model>): boolean {
    return true;
  }

  abstract act(m: Model, w: World): Promise<void>;

  async run(m: Model, w: World): Promise<void> {
    const started = Date.now();
    m.workerRan = false;
    m.drainTimedOut = false;
    await afterEach.run(m, w, this, async () => {
      await this.act(m, w);
      await w.settle();
    });
    bump(m.counts, this.name);
    if (process.env.SIM_TRACE) console.log(`  ${this} ${Date.now() - started} ms`);
  }

  abstract toString(): string;
}

/** Set by run.ts: wraps each command with the invariant checks (kept here to avoid an import cycle). */
export const afterEach: {
  run: (m: Model, w: World, command: SimCommand, act: () => Promise<void>) => Promise<void>;
} = { run: async (_m, _w, _c, act) => act() };
