import { describe, expect, it } from 'vitest';
import { FULL, scaleSizes } from '../../bench/context.ts';
import { interleave, largestInWindow, median, percentile } from '../../bench/measure.ts';
import { markdown, RESULTS_END, RESULTS_START, replaceResults } from '../../bench/report.ts';

/** The bench's pure helpers: a wrong median or a wrong order would make every figure lie. */

describe('bench measures', () => {
  it('takes nearest-rank percentiles: p99 of fewer than 100 samples is the largest', () => {
    expect(median([5, 1, 3])).toBe(3);
    expect(median([4, 1, 3, 2])).toBe(2);
    expect(percentile([10, 30, 20], 0.99)).toBe(30);
    const hundred = Array.from({ length: 100 }, (_, i) => i + 1);
    expect(percentile(hundred, 0.99)).toBe(99);
    expect(percentile(hundred, 0.5)).toBe(50);
    expect(percentile([], 0.5)).toBeNaN();
  });

  it('counts the most instants within any one second, not per calendar second', () => {
    // 0.6 s to 1.4 s holds four calls though no whole second from 0 holds more than two.
    expect(largestInWindow([100, 600, 900, 1_200, 1_400, 2_600])).toBe(4);
    expect(largestInWindow([0, 1_000, 2_000])).toBe(1);
    expect(largestInWindow([])).toBe(0);
  });

  it('interleaves the sides round by round, turning their order every round, after each round is prepared', async () => {
    const order: string[] = [];
    const result = await interleave(
      3,
      {
        product: async (round) => {
          order.push(`product ${round}`);
          return round + 10;
        },
        reference: async (round) => {
          order.push(`reference ${round}`);
          return round + 20;
        },
      },
      async (round) => {
        order.push(`before ${round}`);
      },
    );
    expect(order).toEqual([
      ...['before 0', 'product 0', 'reference 0'],
      ...['before 1', 'reference 1', 'product 1'],
      ...['before 2', 'product 2', 'reference 2'],
    ]);
    // Figures stay in round order whichever side went first.
    expect(result).toEqual({ product: [10, 11, 12], reference: [20, 21, 22] });
  });

  it('scales sizes to multiples of four tasks and at least one org, runs unchanged', () => {
    const tenth = scaleSizes(FULL, 0.1);
    expect(tenth.fanOut.tasks).toBe(10_000);
    expect(tenth.queue.tasks).toEqual([1_000, 10_000]);
    expect(tenth.history.pgliteOrgs).toBe(10);
    expect(tenth.queue.runs).toBe(FULL.queue.runs);
    const tiny = scaleSizes(FULL, 0.00001);
    expect(tiny.rateLimit.tasks).toBe(4);
    expect(tiny.history.orgs).toBe(1);
  });
});

describe('bench results section', () => {
  const info = {
    startedAt: '2026-11-30T00:00:00Z',
    mode: 'full' as const,
    scale: 1,
    machine: '2 x cpu',
    versions: { node: 'v20' },
    loadBefore: '1.00',
    failures: [],
  };

  it('replaces only what lies between the markers', () => {
    const doc = `# Title\n\n${RESULTS_START}\nold figures\n${RESULTS_END}\n\n## After\n`;
    const next = replaceResults(doc, 'new figures\n');
    expect(next).toBe(`# Title\n\n${RESULTS_START}\n\nnew figures\n\n${RESULTS_END}\n\n## After\n`);
    expect(replaceResults(next, 'again\n')).toContain(`${RESULTS_START}\n\nagain\n\n${RESULTS_END}`);
    expect(() => replaceResults('# no markers', 'x')).toThrow(/no .* section/);
  });

  it('writes a table row per figure, escaping pipes, with each ratio explained once', () => {
    const figure = {
      scenario: 'fan-out',
      backend: 'postgres' as const,
      case: 'a | b',
      product: '1 s',
      reference: '2 s',
      ratio: 0.5,
      ratioMeaning: 'fan-out: time / time',
      goal: '<= 1.25x',
      met: true,
    };
    const text = markdown([figure, { ...figure, case: 'c' }], info);
    expect(text).toContain('| fan-out | postgres | a \\| b | 1 s | 2 s | 0.50x | <= 1.25x: met | - |');
    expect(text.match(/- fan-out: time \/ time/g)).toHaveLength(1);
  });
});
