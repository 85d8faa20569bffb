import type { HistoryEntry } from '../../src/scheduler/history.ts';
import { addDays } from '../../src/time/business-day.ts';

/** History entries for view tests: `count` nights back from `newest`, with repairs and gaps. */
export function makeHistory(count: number, newest = '2026-03-09'): HistoryEntry[] {
  return Array.from({ length: count }, (_, i): HistoryEntry => {
    const runDate = addDays(newest, -i);
    if (i % 7 === 3) {
      return {
        runDate,
        health: null,
        promptCoverage: null,
        orgCoverage: null,
        latest: null,
        scheduled: null,
        repairs: { count: 0, by: [] },
        reruns: { count: 0, by: [] },
        startedAt: null,
        finishedAt: null,
        durationMs: null,
      };
    }
    const numerator = 1000 - ((i * 37) % 90);
    const healthy = numerator >= 950;
    const latest = {
      runId: 1000 + i * 2,
      health: healthy ? ('HEALTHY' as const) : ('NEEDS_ATTENTION' as const),
      promptCoverage: { numerator, denominator: 1000, percent: numerator / 10 },
      orgCoverage: { numerator: 25, denominator: 25, percent: 100 },
      checkedAt: new Date(`${runDate}T12:00:00Z`),
    };
    const repaired = i % 3 === 0;
    const scheduled = repaired
      ? {
          ...latest,
          runId: latest.runId - 1,
          health: 'NEEDS_ATTENTION' as const,
          promptCoverage: { numerator: 900, denominator: 1000, percent: 90 },
        }
      : latest;
    return {
      runDate,
      health: latest.health,
      promptCoverage: latest.promptCoverage,
      orgCoverage: latest.orgCoverage,
      latest,
      scheduled,
      repairs: repaired ? { count: 2, by: ['U123ABC', 'cli:<b>&'] } : { count: 0, by: [] },
      reruns: { count: 0, by: [] },
      startedAt: new Date(`${runDate}T07:00:00Z`),
      finishedAt: new Date(`${runDate}T08:12:00Z`),
      durationMs: 72 * 60_000,
    };
  });
}
