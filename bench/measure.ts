/**
 * The bench's one set of timing helpers: a stopwatch, medians and percentiles, and the
 * interleaving of a product run with its reference (A, B, A, B ...) so that whatever else the
 * shared machine does at the time falls on both sides alike.
 */

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** Milliseconds `work` took, with its result. */
export async function timed<T>(work: () => Promise<T>): Promise<{ ms: number; result: T }> {
  const start = performance.now();
  const result = await work();
  return { ms: performance.now() - start, result };
}

export function median(values: readonly number[]): number {
  return percentile(values, 0.5);
}

/** The nearest-rank percentile (p in 0..1): with n samples, p99 of n < 100 is the largest. */
export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.min(sorted.length, Math.max(1, Math.ceil(p * sorted.length)));
  return sorted[rank - 1] as number;
}

/**
 * `runs` rounds in which every side runs once, each returning one figure (a duration, a rate).
 * The order turns every round (A B, B A, A B ...): whatever the first run of a round pays (a
 * table's first pages and index splits after a seed, caches the other side then finds warm) falls
 * on each side in turn, not always on the product. `before` prepares round i (a fresh night, a
 * fresh queue) outside the measured calls. Returns every side's figures in round order.
 */
export async function interleave<K extends string>(
  runs: number,
  sides: Record<K, (round: number) => Promise<number>>,
  before?: (round: number) => Promise<void>,
): Promise<Record<K, number[]>> {
  const names = Object.keys(sides) as K[];
  const out = Object.fromEntries(names.map((name) => [name, [] as number[]])) as Record<K, number[]>;
  for (let round = 0; round < runs; round++) {
    await before?.(round);
    const order = round % 2 === 0 ? names : [...names].reverse();
    for (const name of order) out[name].push(await sides[name](round));
  }
  return out;
}

/** The largest number of instants (ms) inside any window of `windowMs`: calls in any one second. */
export function largestInWindow(instants: readonly number[], windowMs = 1_000): number {
  const sorted = [...instants].sort((a, b) => a - b);
  let best = 0;
  let first = 0;
  for (let last = 0; last < sorted.length; last++) {
    while ((sorted[last] as number) - (sorted[first] as number) >= windowMs) first++;
    best = Math.max(best, last - first + 1);
  }
  return best;
}

/** Polls `done` every `everyMs` until it holds; throws past `timeoutMs` (a stuck run, not a figure). */
export async function waitUntil(
  done: () => Promise<boolean>,
  options: { everyMs: number; timeoutMs: number; what: string },
): Promise<void> {
  const deadline = performance.now() + options.timeoutMs;
  while (!(await done())) {
    if (performance.now() > deadline)
      throw new Error(`${options.what}: not done within ${Math.round(options.timeoutMs / 1000)} s`);
    await sleep(options.everyMs);
  }
}

export const fmt = {
  seconds: (ms: number) => `${(ms / 1000).toFixed(ms < 10_000 ? 2 : 1)} s`,
  ms: (ms: number) => `${ms < 10 ? ms.toFixed(1) : Math.round(ms).toLocaleString('en-US')} ms`,
  perSecond: (n: number) => `${Math.round(n).toLocaleString('en-US')}/s`,
  count: (n: number) => Math.round(n).toLocaleString('en-US'),
  ratio: (r: number) => `${r.toFixed(2)}x`,
  /** Durations as ms or s, whichever reads better. */
  duration: (ms: number) => (ms < 1_000 ? fmt.ms(ms) : fmt.seconds(ms)),
};
