import type { HistoryDb } from './history.ts';
import type { Figure } from './report.ts';

/** Sizes of every scenario: the full run of BENCHMARKS.md, and `--quick`, the CI smoke test. */
export interface Sizes {
  fanOut: { tasks: number; pgliteTasks: number; runs: number };
  queue: { tasks: number[]; concurrency: number[]; processes: number[]; runs: number };
  rateLimit: { tasks: number; rpm: number; concurrency: number; runs: number };
  /** Nights of history: orgs x 100 prompts x 4 providers each night (PGlite: pgliteOrgs). */
  history: { orgs: number; pgliteOrgs: number; nights: number; runs: number };
  /** A year of nights on PostgreSQL: orgs x 100 prompts x 4 providers a night (100 orgs: a tenth of full size). */
  year: { orgs: number; nights: number; runs: number };
  slackStatus: { requests: number; maxSeconds: number };
  /** settleSeconds: start-up, and the worker's idle back-off reaching its ceiling, before the window. */
  idle: { windowSeconds: number; settleSeconds: number };
  pgliteVsPostgres: { tasks: number; runs: number };
  cliStart: { runs: number };
}

export const FULL: Sizes = {
  fanOut: { tasks: 100_000, pgliteTasks: 10_000, runs: 3 },
  queue: { tasks: [10_000, 100_000], concurrency: [8, 32], processes: [1, 2], runs: 3 },
  rateLimit: { tasks: 4_000, rpm: 600, concurrency: 16, runs: 3 },
  history: { orgs: 1_000, pgliteOrgs: 100, nights: 30, runs: 5 },
  year: { orgs: 100, nights: 365, runs: 5 },
  slackStatus: { requests: 100, maxSeconds: 240 },
  idle: { windowSeconds: 120, settleSeconds: 90 },
  pgliteVsPostgres: { tasks: 20_000, runs: 3 },
  cliStart: { runs: 5 },
};

export const QUICK: Sizes = {
  fanOut: { tasks: 2_000, pgliteTasks: 2_000, runs: 1 },
  queue: { tasks: [400], concurrency: [32], processes: [1, 2], runs: 1 },
  rateLimit: { tasks: 200, rpm: 600, concurrency: 16, runs: 1 },
  history: { orgs: 20, pgliteOrgs: 10, nights: 2, runs: 3 },
  year: { orgs: 1, nights: 3, runs: 1 },
  slackStatus: { requests: 3, maxSeconds: 20 },
  idle: { windowSeconds: 10, settleSeconds: 5 },
  pgliteVsPostgres: { tasks: 400, runs: 1 },
  cliStart: { runs: 1 },
};

/**
 * Every size times `factor` (task counts stay multiples of 4, one org at least), the runs as
 * they are: `--scale 0.1` is the full run at a tenth, for a machine too busy for the whole.
 */
export function scaleSizes(sizes: Sizes, factor: number): Sizes {
  const tasks = (n: number) => Math.max(4, Math.round((n * factor) / 4) * 4);
  const orgs = (n: number) => Math.max(1, Math.round(n * factor));
  return {
    ...sizes,
    fanOut: {
      ...sizes.fanOut,
      tasks: tasks(sizes.fanOut.tasks),
      pgliteTasks: tasks(sizes.fanOut.pgliteTasks),
    },
    queue: { ...sizes.queue, tasks: sizes.queue.tasks.map(tasks) },
    rateLimit: { ...sizes.rateLimit, tasks: tasks(sizes.rateLimit.tasks) },
    history: { ...sizes.history, orgs: orgs(sizes.history.orgs), pgliteOrgs: orgs(sizes.history.pgliteOrgs) },
    year: { ...sizes.year, orgs: orgs(sizes.year.orgs) },
    pgliteVsPostgres: { ...sizes.pgliteVsPostgres, tasks: tasks(sizes.pgliteVsPostgres.tasks) },
  };
}

export interface BenchContext {
  quick: boolean;
  sizes: Sizes;
  /** A figure is printed at once and kept for --json / --markdown. */
  emit(figure: Figure): void;
  /** Progress for the person watching (stderr): what is being set up, how far. */
  log(text: string): void;
  /**
   * The database with nights of history, built once per backend and shared by the scenarios
   * that read it (postcheck, /sched-status): generating it is the longest step of a full run.
   */
  history(backend: 'postgres' | 'pglite'): Promise<HistoryDb>;
}

export interface Scenario {
  name: string;
  /** One line for `--help` and BENCHMARKS.md. */
  summary: string;
  run(ctx: BenchContext): Promise<void>;
}
