import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_PRICES } from '../../src/config.ts';
import { nightCosts, usageByNight } from '../../src/coverage/night-cost.ts';
import { listHistory } from '../../src/scheduler/history.ts';
import { measureCoverage } from '../../src/scheduler/postcheck.ts';
import { repairMissing } from '../../src/scheduler/repair.ts';
import { runTrigger } from '../../src/scheduler/trigger.ts';
import { backends, type TestDatabase } from '../support/db.ts';
import { type ClockedDeps, clockedDeps, completeAllLive, seedSmallDemo } from '../support/scheduler-deps.ts';

const RUN_DATE = '2026-03-02';
const NOW = '2026-03-02T10:00:00Z';

/**
 * The night's calls, tokens and cost come from prompt_provider_responses in one statement per
 * set of nights, and reach the report, history and the repair preview.
 */
describe.each(backends())('night cost on $name', (backend) => {
  let database: TestDatabase;
  let deps: ClockedDeps;

  beforeAll(async () => {
    database = await backend.create();
    await seedSmallDemo(database.db);
    deps = clockedDeps(database.db, NOW, { OPENAI_PRICE_IN: '2', OPENAI_PRICE_OUT: '8' });
    await runTrigger(deps, { runDate: RUN_DATE, triggeredBy: 'test', scheduled: true });
    // Every openai and gemini unit answers; anthropic and perplexity stay missing.
    await completeAllLive(database.db, RUN_DATE, deps.clock(), { provider: 'perplexity' });
    await database.db.execute(
      sql`update batch_tasks set status = 'failed' where run_date = ${RUN_DATE}::date and provider = 'perplexity'`,
    );
    await database.db.execute(sql`delete from prompt_provider_responses where provider = 'anthropic'`);
    await database.db.execute(
      sql`update prompt_provider_responses set tokens_in = 50, tokens_out = 250 where provider = 'openai'`,
    );
    // An error answer is a call too; it has no usage.
    await database.db.execute(
      sql`insert into prompt_provider_responses (org_id, prompt_id, provider, model, run_date, status, error)
          select org_id, prompt_id, 'openai', 'm', run_date, 'error', 'boom'
          from prompt_provider_responses where provider = 'openai' limit 2`,
    );
  });
  afterAll(async () => {
    await database.close();
  });

  it('counts calls and tokens per run_date and provider', async () => {
    const usage = await usageByNight(database.db, [RUN_DATE, '2026-03-01']);
    expect(usage).toEqual([
      { runDate: RUN_DATE, provider: 'gemini', calls: 17, tokensIn: 0, tokensOut: 0 },
      { runDate: RUN_DATE, provider: 'openai', calls: 44, tokensIn: 2100, tokensOut: 10_500 },
    ]);
    const costs = await nightCosts(database.db, {
      runDates: [RUN_DATE, '2026-03-01'],
      prices: DEFAULT_PRICES,
    });
    expect(costs.get('2026-03-01')?.calls).toBe(0);
    expect(costs.get(RUN_DATE)?.usd).toBeCloseTo((2100 * 0.15 + 10_500 * 0.6) / 1e6, 12);
  });

  it('puts the night’s cost, at the configured prices, on the report and in history', async () => {
    const report = await measureCoverage(deps, { runDate: RUN_DATE });
    const openai = report.cost?.providers.find((p) => p.provider === 'openai');
    expect(openai).toMatchObject({ calls: 44, tokensIn: 2100, tokensOut: 10_500, price: { in: 2, out: 8 } });
    expect(openai?.usd).toBeCloseTo((2100 * 2 + 10_500 * 8) / 1e6, 12);
    const [night] = await listHistory(database.db, {
      days: 1,
      now: deps.clock(),
      timezone: deps.config.timezone,
      prices: { ...DEFAULT_PRICES, openai: { in: 2, out: 8 } },
    });
    expect(night?.cost?.usd).toBeCloseTo(report.cost?.usd ?? -1, 12);
  });

  it('estimates a repair at the night’s average tokens per call, and the default without calls', async () => {
    const repair = await repairMissing(deps, { runDate: RUN_DATE, triggeredBy: 'test' });
    // 42 perplexity units at the default 150 in / 500 out and 17 anthropic ones likewise.
    expect(repair.byProvider).toEqual({ anthropic: 17, perplexity: 42 });
    const perplexity = 42 * ((150 * 1 + 500 * 1) / 1e6);
    const anthropic = 17 * ((150 * 1 + 500 * 5) / 1e6);
    expect(repair.estimatedUsd).toBeCloseTo(perplexity + anthropic, 12);
  });
});
