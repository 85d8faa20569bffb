import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { Deps } from '../../src/context.ts';
import { queryOne, queryRows } from '../../src/db/client.ts';
import { createProviderAdapters } from '../../src/providers/registry.ts';
import { PROVIDER_NAMES } from '../../src/providers/types.ts';
import { measureCoverage } from '../../src/scheduler/postcheck.ts';
import { startWorker } from '../../src/scheduler/worker.ts';
import { backends, type TestDatabase, truncateAll } from '../support/db.ts';
import {
  closeFakeProviders,
  type FakeProviders,
  fakeProviderEnv,
  startFakeProviders,
} from '../support/fake-providers/index.ts';
import { DEMO_UNITS, seedSmallDemo } from '../support/scheduler-deps.ts';
import {
  duplicateSuccesses,
  inexactJobs,
  syncTestProviders,
  triggerToday,
  workerDeps,
} from '../support/worker-fixtures.ts';

/**
 * A whole night through the real SDK adapters: all four providers configured with base URLs on
 * loopback servers that answer like the real APIs, adapters built by createProviderAdapters, the
 * expected units enqueued by the trigger and run by the worker. Errors the servers inject take
 * the pipeline's retry path by their class.
 */

const SERVED_MODELS = {
  openai: 'gpt-4o-mini-2024-07-18',
  anthropic: 'claude-haiku-4-5-20251001',
  gemini: 'gemini-2.0-flash-001',
  perplexity: 'sonar',
};

describe.each(backends())('a night through the real adapters on $name', (backend) => {
  let database: TestDatabase;
  let fakes: FakeProviders;
  let deps: Deps;

  beforeAll(async () => {
    database = await backend.create();
    fakes = await startFakeProviders();
  });
  afterAll(async () => {
    await closeFakeProviders(fakes);
    await database.close();
  });
  beforeEach(async () => {
    await truncateAll(database);
    for (const fake of Object.values(fakes)) {
      fake.requests.length = 0;
      fake.queue.length = 0;
      fake.scenario = 'success';
      fake.budgetSpent = false;
    }
    deps = workerDeps(database.db, fakeProviderEnv(fakes));
    await seedSmallDemo(database.db);
    await syncTestProviders(deps);
  });

  const totalRequests = () => Object.values(fakes).reduce((n, fake) => n + fake.requests.length, 0);

  it('covers every expected unit, storing the model, tokens, latency and text each API returned', async () => {
    const adapters = createProviderAdapters(deps.config);
    expect([...adapters.values()].map((a) => [a.name, a.simulated])).toEqual(
      PROVIDER_NAMES.map((name) => [name, false]),
    );
    // One 500 and one 429 (retry-after-ms 1500) on the way: retried by class, not by the SDKs.
    fakes.openai.queue.push('server_error');
    fakes.anthropic.queue.push('rate_limited_ms');

    const runDate = await triggerToday(deps);
    const summary = await startWorker(deps, { adapters, concurrency: 16, drain: true, random: () => 0 }).done;
    expect(summary).toMatchObject({ succeeded: DEMO_UNITS, failed: 0, retried: 2, lost: 0 });
    expect(totalRequests()).toBe(DEMO_UNITS + 2);

    const report = await measureCoverage(deps, { runDate });
    expect(report.summary.overallHealth).toBe('HEALTHY');
    expect(report.units).toMatchObject({ expected: DEMO_UNITS, succeeded: DEMO_UNITS, missing: 0 });
    expect(await duplicateSuccesses(database.db)).toEqual([]);
    expect(await inexactJobs(database.db)).toEqual([]);

    const rows = await queryRows<{ provider: string; model: string; n: number; bad: number }>(
      database.db,
      sql`select provider, model, count(*)::int as n,
                 count(*) filter (where tokens_in <= 0 or tokens_out <= 0 or latency_ms is null
                                  or response_text not like provider || ' answers: %')::int as bad
          from prompt_provider_responses where status = 'success' group by provider, model order by provider`,
    );
    expect(rows.map((r) => [r.provider, r.model, r.bad])).toEqual(
      [...PROVIDER_NAMES].sort().map((p) => [p, SERVED_MODELS[p], 0]),
    );
    expect(rows.reduce((n, r) => n + r.n, 0)).toBe(DEMO_UNITS);
    // Each request carried its prompt's text to the provider: the stored answers echo it.
    const echoed = await queryOne<{ n: number }>(
      database.db,
      sql`select count(*)::int as n from prompt_provider_responses r join prompts p on p.id = r.prompt_id
          where r.status = 'success' and r.response_text = r.provider || ' answers: ' || p.text`,
    );
    expect(echoed?.n).toBe(DEMO_UNITS);
  });

  it('fails a provider that answers 401 as auth and pauses it with the provider message as the reason', async () => {
    fakes.perplexity.scenario = 'unauthorized';
    const runDate = await triggerToday(deps);
    const summary = await startWorker(deps, {
      adapters: createProviderAdapters(deps.config),
      concurrency: 8,
      drain: true,
      // The paused provider's tasks wait for a person; the test does not wait 15 minutes for them.
      skipPaused: true,
    }).done;
    expect(summary.failed).toBeGreaterThanOrEqual(1);
    expect(summary.lost).toBe(0);

    const failed = await queryRows<{ provider: string; error_class: string; error: string }>(
      database.db,
      sql`select distinct provider, error_class, error from prompt_provider_responses where status = 'error'`,
    );
    expect(failed).toEqual([
      { provider: 'perplexity', error_class: 'auth', error: 'perplexity 401: 401 Authorization Required' },
    ]);
    const paused = await queryOne<{ pause_reason: string | null }>(
      database.db,
      sql`select pause_reason from providers where name = 'perplexity'`,
    );
    expect(paused?.pause_reason).toBe('auth: perplexity 401: 401 Authorization Required');
    for (const fake of Object.values(fakes)) expect(JSON.stringify(failed)).not.toContain(fake.apiKey);

    const report = await measureCoverage(deps, { runDate });
    const perplexity = report.providers.find((p) => p.provider === 'perplexity');
    expect(perplexity?.missingUnits).toBeGreaterThan(0);
    expect(
      report.providers.filter((p) => p.provider !== 'perplexity').every((p) => p.missingUnits === 0),
    ).toBe(true);
  });

  it('holds a provider back for everyone when its headers say the request budget is spent', async () => {
    fakes.openai.budgetSpent = true;
    await triggerToday(deps);
    const worker = startWorker(deps, { adapters: createProviderAdapters(deps.config), concurrency: 4 });
    try {
      let row:
        | { paused_until: Date | null; pause_reason: string | null; first_answer: Date | null }
        | undefined;
      for (let i = 0; i < 200; i++) {
        row = await queryOne(
          database.db,
          sql`select paused_until, pause_reason,
                     (select min(run_at) from prompt_provider_responses where provider = 'openai') as first_answer
              from providers where name = 'openai'`,
        );
        if (row?.pause_reason) break;
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
      expect(row?.pause_reason).toBe('rate_limited: request budget used up until the provider resets it');
      // The pause runs to the reset the headers announced, counted from the answer.
      expect(new Date(String(row?.paused_until)).getTime()).toBeGreaterThan(
        new Date(String(row?.first_answer)).getTime(),
      );
    } finally {
      await worker.stop();
    }
  });
});
