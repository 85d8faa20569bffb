/** Pure trend helpers: the coverage sparkline and the median the morning report compares with. */

const BARS = ['▁', '▂', '▃', '▄', '▅', '▆', '▇', '█'] as const;
/** A night without a recorded check: a gap, not a zero. */
export const SPARK_GAP = '·';

/**
 * Percent values (0-100, oldest first) -> "▅▇█·▆". The scale runs from the lowest value (at most
 * 90) to 100 %: nights in the high nineties stay distinguishable, and an outage still reads as
 * one at a glance.
 */
export function sparkline(values: (number | null)[]): { line: string; floor: number } {
  const known = values.filter((v): v is number => v !== null);
  const floor = Math.max(0, Math.floor(Math.min(90, ...known) / 10) * 10);
  const span = 100 - floor;
  const line = values
    .map((v) => {
      if (v === null) return SPARK_GAP;
      const level = span <= 0 ? BARS.length - 1 : Math.round(((v - floor) / span) * (BARS.length - 1));
      return BARS[Math.min(BARS.length - 1, Math.max(0, level))];
    })
    .join('');
  return { line, floor };
}

/** Median of the known values; undefined when there are none. */
export function medianOf(values: (number | null | undefined)[]): number | undefined {
  const known = values.filter((v): v is number => typeof v === 'number').sort((a, b) => a - b);
  if (known.length === 0) return undefined;
  const mid = Math.floor(known.length / 2);
  const upper = known[mid] as number;
  return known.length % 2 === 1 ? upper : Math.round(((known[mid - 1] as number) + upper) * 5) / 10;
}
