import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { coverageChart } from '../../src/chart/coverage-chart.ts';
import type { CoverageReport } from '../../src/coverage/types.ts';
import type { Db } from '../../src/db/client.ts';
import { listProviderNights } from '../../src/scheduler/provider-history.ts';
import {
  adHocRunKey,
  claimRun,
  FUNCTION_NAMES,
  type FunctionName,
  finishRun,
} from '../../src/store/scheduler-runs.ts';
import { backends, type TestDatabase } from '../support/db.ts';
import { nightWithFailures } from '../support/fake-slack.ts';
import { decodePng } from '../support/png.ts';
import { type ClockedDeps, clockedDeps } from '../support/scheduler-deps.ts';

/**
 * Coverage per provider and night, read from the recorded postchecks, on both backends. Today is
 * 2026-04-30 in America/New_York; its postcheck is a real one (nightWithFailures: perplexity
 * failed all night). The nights before carry hand-written results that exercise the choice of
 * the night's postcheck.
 */

const zone = 'America/New_York';
const now = new Date('2026-04-30T15:00:00Z');

const figures = (openai: [number, number], perplexity?: [number, number]) => ({
  runDate: 'ignored',
  providers: [
    { provider: 'openai', expectedUnits: openai[0], succeededUnits: openai[1] },
    ...(perplexity
      ? [{ provider: 'perplexity', expectedUnits: perplexity[0], succeededUnits: perplexity[1] }]
      : []),
    { provider: 'mistral', expectedUnits: 9, succeededUnits: 9 },
  ],
});

async function record(
  db: Db,
  step: { fn?: FunctionName; runKey: string; at: string; status?: 'completed' | 'failed'; result: unknown },
) {
  const at = new Date(step.at);
  const run = await claimRun(db, {
    functionName: step.fn ?? FUNCTION_NAMES.postcheck,
    runKey: step.runKey,
    triggeredBy: 'test',
    now: at,
  });
  if (!run) throw new Error(`could not claim ${step.runKey}`);
  await finishRun(db, {
    runId: run.id,
    outcome: { status: step.status ?? 'completed', result: step.result },
    now: new Date(at.getTime() + 1000),
  });
}

describe.each(backends())('coverage per provider and night on $name', (backend) => {
  let database: TestDatabase;
  let deps: ClockedDeps;
  let today: CoverageReport;

  beforeAll(async () => {
    database = await backend.create();
    deps = clockedDeps(database.db, now);
    const db = database.db;
    ({ report: today } = await nightWithFailures(deps, '2026-04-30'));
    // 04-28: the scheduled postcheck, then a later ad-hoc one after a repair (the latest wins),
    // then a failed one (ignored), and a repair row carrying figures (not a postcheck: ignored).
    await record(db, {
      runKey: '2026-04-28',
      at: '2026-04-28T08:00:00Z',
      result: figures([100, 80], [50, 10]),
    });
    await record(db, {
      runKey: adHocRunKey('2026-04-28', new Date('2026-04-28T12:00:00Z'), 'manual'),
      at: '2026-04-28T12:00:00Z',
      result: figures([100, 100], [50, 45]),
    });
    await record(db, {
      runKey: adHocRunKey('2026-04-28', new Date('2026-04-28T13:00:00Z'), 'manual'),
      at: '2026-04-28T13:00:00Z',
      status: 'failed',
      result: figures([100, 0], [50, 0]),
    });
    await record(db, {
      fn: FUNCTION_NAMES.repair,
      runKey: adHocRunKey('2026-04-28', new Date('2026-04-28T14:00:00Z'), 'repair'),
      at: '2026-04-28T14:00:00Z',
      result: figures([100, 1]),
    });
    // 04-27: a result from before the report had provider figures.
    await record(db, { runKey: '2026-04-27', at: '2026-04-27T08:00:00Z', result: { runDate: '2026-04-27' } });
    // 04-01: outside a 29-night window, inside a 30-night one.
    await record(db, { runKey: '2026-04-01', at: '2026-04-01T08:00:00Z', result: figures([10, 5]) });
  });
  afterAll(async () => {
    await database?.close();
  });

  it('lists the nights of the window oldest first, ending today', async () => {
    const { nights } = await listProviderNights(deps.db, { days: 30, now, timezone: zone });
    expect(nights).toHaveLength(30);
    expect([nights[0], nights.at(-1)]).toEqual(['2026-04-01', '2026-04-30']);
  });

  it("takes each night's latest completed postcheck, and only known providers", async () => {
    const { coverage } = await listProviderNights(deps.db, { days: 30, now, timezone: zone });
    expect(coverage.filter((c) => c.runDate === '2026-04-28')).toEqual([
      { runDate: '2026-04-28', provider: 'openai', expectedUnits: 100, succeededUnits: 100 },
      { runDate: '2026-04-28', provider: 'perplexity', expectedUnits: 50, succeededUnits: 45 },
    ]);
    expect(coverage.filter((c) => c.runDate === '2026-04-27')).toEqual([]);
    expect(coverage.filter((c) => c.runDate === '2026-04-01')).toHaveLength(1);
    const short = await listProviderNights(deps.db, { days: 29, now, timezone: zone });
    expect(short.coverage.some((c) => c.runDate === '2026-04-01')).toBe(false);
  });

  it('reads the figures a real postcheck recorded', async () => {
    const { coverage } = await listProviderNights(deps.db, { days: 1, now, timezone: zone });
    const recorded = today.providers.map((p) => ({
      runDate: '2026-04-30',
      provider: p.provider,
      expectedUnits: p.expectedUnits,
      succeededUnits: p.succeededUnits,
    }));
    expect(coverage).toEqual(expect.arrayContaining(recorded));
    expect(coverage).toHaveLength(recorded.length);
    const perplexity = coverage.find((c) => c.provider === 'perplexity');
    expect(perplexity?.expectedUnits).toBeGreaterThan(0);
    expect(perplexity?.succeededUnits).toBe(0);
  });

  it('draws the chart as a decodable PNG, and nothing for a window without a postcheck', async () => {
    const chart = await coverageChart(deps);
    expect(chart).toMatchObject({
      filename: 'coverage-2026-04-01-to-2026-04-30.png',
      title: 'Coverage per provider, last 30 nights',
      nights: 30,
    });
    expect(chart?.altText).toContain('2026-04-30: openai');
    const png = decodePng(chart?.png ?? Buffer.alloc(0));
    expect([png.width, png.height]).toEqual([chart?.width, chart?.height]);
    const empty = clockedDeps(deps.db, '2026-06-30T15:00:00Z');
    expect(await coverageChart(empty)).toBeUndefined();
  });
});
