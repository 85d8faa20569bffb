import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { Deps } from '../../src/context.ts';
import { queryOne, queryRows } from '../../src/db/client.ts';
import { createProviderAdapters } from '../../src/providers/registry.ts';
import { startWorker } from '../../src/scheduler/worker.ts';
import { sharedBackends, type TestDatabase, truncateAll } from '../support/db.ts';
import {
  closeFakeProviders,
  type FakeProviders,
  fakeProviderEnv,
  startFakeProviders,
} from '../support/fake-providers/index.ts';
import { expectNightInvariants } from '../support/night-invariants.ts';
import { DEMO_UNITS, seedSmallDemo } from '../support/scheduler-deps.ts';
import { syncTestProviders, triggerToday, workerDeps } from '../support/worker-fixtures.ts';

/**
 * Providers that refuse, through the official SDKs pointed at loopback servers that speak each
 * API: one answers 429 to every call for a minute (the tasks wait and no attempt is spent), one
 * answers 401 (its first calls fail, the provider is paused with the provider's reason, and after
 * the pause exactly one probe goes out before the others follow).
 */

const RATE_LIMITED_FOR_MS = 60_000;
/** The small demo's anthropic units (plans growth, pro and enterprise: 4 + 5 + 3 + 5 prompts). */
const ANTHROPIC_UNITS = 17;
const OPENAI_UNITS = 42;

describe.skipIf(sharedBackends().length > 0)('providers refusing during a night', () => {
  it.skip('runs on PostgreSQL: set TEST_DATABASE_URL', () => undefined);
});

describe.each(sharedBackends())('providers refusing during a night on $name', (backend) => {
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
      fake.scenario = 'success';
    }
    deps = workerDeps(database.db, fakeProviderEnv(fakes));
    await seedSmallDemo(database.db);
    await syncTestProviders(deps);
  });

  const tasksOf = (provider: string) =>
    queryRows<{ status: string; attempts: number; error_class: string | null; n: number }>(
      database.db,
      sql`select status, attempts, error_class, count(*)::int as n from batch_tasks
          where provider = ${provider} group by status, attempts, error_class order by status, attempts`,
    );

  it('a provider answering 429 to everything for a minute: its tasks wait, no attempt is spent', async () => {
    fakes.openai.scenario = 'rate_limited';
    const runDate = await triggerToday(deps);
    const worker = startWorker(deps, {
      adapters: createProviderAdapters(deps.config),
      concurrency: 8,
      drain: true,
    });
    await new Promise((resolve) => setTimeout(resolve, RATE_LIMITED_FOR_MS));
    const refused = fakes.openai.requests.length;
    fakes.openai.scenario = 'success';
    const summary = await worker.done;

    // Asked again through the minute, each time refused: after each Retry-After (2 s) one
    // probe goes out, not the whole queue, until a call succeeds.
    expect(refused).toBeGreaterThan(1);
    expect(summary).toMatchObject({ succeeded: DEMO_UNITS, failed: 0, lost: 0 });
    expect(await tasksOf('openai')).toEqual([
      { status: 'completed', attempts: 1, error_class: null, n: OPENAI_UNITS },
    ]);
    const row = await queryOne<{ paused: boolean }>(
      database.db,
      sql`select coalesce(paused_until > now(), false) as paused from providers where name = 'openai'`,
    );
    expect(row?.paused).toBe(false);
    await expectNightInvariants(database.db, runDate, { expectedUnits: DEMO_UNITS });
  }, 180_000);

  it('a provider answering 401: paused with its reason, one probe after the pause, then the rest', async () => {
    fakes.anthropic.scenario = 'unauthorized';
    const runDate = await triggerToday(deps);
    const adapters = createProviderAdapters(deps.config);
    const run = (options: { skipPaused: boolean }) =>
      startWorker(deps, { adapters, concurrency: 8, drain: true, ...options }).done;
    /** What 15 minutes would do: the pause runs out, its reason stays until a call succeeds. */
    const pauseRunsOut = () =>
      database.db.execute(
        sql`update providers set paused_until = now() - interval '1 second' where name = 'anthropic'`,
      );
    const pause = () =>
      queryOne<{ minutes: number; pause_reason: string | null }>(
        database.db,
        sql`select floor(extract(epoch from paused_until - now()) / 60)::int as minutes, pause_reason
            from providers where name = 'anthropic'`,
      );

    // The calls in flight when the first 401 came back fail; the provider is paused for everyone.
    await run({ skipPaused: true });
    const first = fakes.anthropic.requests.length;
    expect(first).toBeGreaterThanOrEqual(1);
    expect(await pause()).toEqual({ minutes: 14, pause_reason: 'auth: anthropic 401: invalid x-api-key' });
    expect(await tasksOf('anthropic')).toEqual([
      { status: 'failed', attempts: 1, error_class: 'auth', n: first },
      { status: 'pending', attempts: 0, error_class: null, n: ANTHROPIC_UNITS - first },
    ]);

    // The pause runs out with the key still wrong: one probe, refused, and paused again.
    await pauseRunsOut();
    await run({ skipPaused: true });
    expect(fakes.anthropic.requests.length).toBe(first + 1);
    expect(await pause()).toEqual({ minutes: 14, pause_reason: 'auth: anthropic 401: invalid x-api-key' });

    // The key is fixed: one probe, then everyone else; the reason leaves the row.
    fakes.anthropic.scenario = 'success';
    await pauseRunsOut();
    const summary = await run({ skipPaused: false });
    expect(summary).toMatchObject({ succeeded: ANTHROPIC_UNITS - first - 1, failed: 0, lost: 0 });
    expect(fakes.anthropic.requests.length).toBe(ANTHROPIC_UNITS);
    expect(await pause()).toEqual({ minutes: null, pause_reason: null });
    await expectNightInvariants(database.db, runDate, { expectedUnits: DEMO_UNITS });
  });
});
