import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Db } from '../../src/db/client.ts';
import { openDatabase, queryOne } from '../../src/db/client.ts';
import { runTrigger } from '../../src/scheduler/trigger.ts';
import { addDays, runDateOf } from '../../src/time/business-day.ts';
import { cliEnvironment, sched } from '../support/cli.ts';
import { backends, type TestDatabase } from '../support/db.ts';
import { call, type OpsServer, startOpsServer } from '../support/ops-server.ts';
import { clockedDeps, seedSmallDemo } from '../support/scheduler-deps.ts';

/**
 * Issue 9: a forged or mistyped date must not run a whole night of 1999, and a refused date
 * writes nothing, scheduler_runs included. Every entry point: HTTP, CLI (Slack: e2e).
 */

const TODAY = '2026-03-02';
const NOW = '2026-03-02T10:00:00Z'; // 05:00 in New York
const SECRET = 'cron-secret-for-tests-3f9a';
const ZONE = 'America/New_York';

async function rowCounts(db: Db) {
  return queryOne<{ runs: number; jobs: number; tasks: number }>(
    db,
    sql`select (select count(*)::int from scheduler_runs) as runs,
               (select count(*)::int from batch_jobs) as jobs,
               (select count(*)::int from batch_tasks) as tasks`,
  );
}

describe.each(backends())('run_date refusals over HTTP on $name', (backend) => {
  let database: TestDatabase;
  let server: OpsServer;
  const post = (path: string) => call(`${server.url}/functions/v1/${path}`, { secret: SECRET });

  beforeAll(async () => {
    database = await backend.create();
    await seedSmallDemo(database.db);
    const deps = clockedDeps(database.db, NOW, { CRON_SECRET: SECRET });
    // Tonight ran: repair of today is allowed, of 1999 not.
    await runTrigger(deps, { runDate: TODAY, triggeredBy: 'scheduler', scheduled: true });
    server = await startOpsServer(deps);
  });
  afterAll(async () => {
    await server.close();
    await database.close();
  });

  const refusals: [string, RegExp][] = [
    ['daily-batch-trigger?date=1999-12-31', /BACKFILL_DAYS/],
    ['manual-daily-run?date=1999-12-31', /BACKFILL_DAYS/],
    ['scheduler-postcheck?repair=true&date=1999-12-31', /No trigger ran for 1999-12-31/],
    [
      'scheduler-postcheck?repair=true&date=2026-02-28',
      /No trigger ran for 2026-02-28.*sched trigger --date/,
    ],
    ['scheduler-postcheck?repair=true&date=2026-03-03', /future/],
    ['daily-batch-trigger?date=2026-03-03', /future/],
    ['manual-daily-run?date=2026-03-03', /future/],
    // Eight days back with BACKFILL_DAYS=7.
    ['daily-batch-trigger?date=2026-02-22', /before 2026-02-23/],
  ];

  for (const [path, message] of refusals) {
    it(`refuses ${path} with 400 JSON before writing anything`, async () => {
      const before = await rowCounts(database.db);
      const response = await post(path);
      expect(response.status).toBe(400);
      expect(response.json).toMatchObject({ error: 'usage', message: expect.stringMatching(message) });
      expect(await rowCounts(database.db)).toEqual(before);
    });
  }

  it('backfills a past night within BACKFILL_DAYS, after which it can be repaired', async () => {
    const response = await post('daily-batch-trigger?date=2026-02-23');
    expect(response.status).toBe(200);
    expect(response.json).toMatchObject({ status: 'triggered', runDate: '2026-02-23' });
    expect(response.json.tasks).toBeGreaterThan(0);
    const repair = await post('scheduler-postcheck?repair=true&date=2026-02-23');
    expect(repair.status).toBe(200);
    expect(repair.json.repair).toMatchObject({ runDate: '2026-02-23', tasks: 0 });
  });

  it('a trigger with every provider disabled answers 409 nothing_enqueued with the reason', async () => {
    await database.db.execute(sql`update providers set enabled = false`);
    try {
      const response = await post('daily-batch-trigger?date=2026-03-01');
      expect(response.status).toBe(409);
      expect(response.json).toMatchObject({
        error: 'nothing_enqueued',
        status: 'nothing_enqueued',
        runDate: '2026-03-01',
        reason: { code: 'no_provider_enabled' },
        message: expect.stringMatching(/no provider is enabled/),
      });
      const row = await queryOne<{ status: string }>(
        database.db,
        sql`select status from scheduler_runs where function_name = 'daily-batch-trigger' and run_key = '2026-03-01'`,
      );
      expect(row?.status).toBe('skipped');
    } finally {
      await database.db.execute(sql`update providers set enabled = true`);
    }
  });
});

describe.each(backends())('run_date refusals from the CLI on $name', (backend) => {
  let env: Record<string, string | undefined>;
  let close: () => Promise<void>;
  // The CLI runs on the real clock.
  const today = runDateOf(new Date(), ZONE);

  const counts = async () => {
    const check = await openDatabase({ url: env.DATABASE_URL, pgliteDir: env.PGLITE_DIR });
    try {
      return await rowCounts(check.db);
    } finally {
      await check.close();
    }
  };

  beforeAll(async () => {
    ({ env, close } = await cliEnvironment(backend, { SIMULATED_PROFILE: 'ideal' }));
    expect((await sched(['seed', '--demo', '--orgs', '6', '--prompts-per-org', '3'], env)).code).toBe(0);
  });
  afterAll(async () => {
    await close();
  });

  const cases: [string[], RegExp][] = [
    [['trigger', '--date', '1999-12-31'], /BACKFILL_DAYS/],
    [['manual-run', '--date', '1999-12-31'], /BACKFILL_DAYS/],
    [['rerun', 'acme-analytics', '--date', '1999-12-31'], /No trigger ran for 1999-12-31/],
    [['postcheck', '--repair', '--date', '1999-12-31'], /No trigger ran for 1999-12-31/],
    [['trigger', '--date', addDays(today, 1)], /future/],
    [['postcheck', '--repair', '--date', addDays(today, 1)], /future/],
  ];

  for (const [argv, message] of cases) {
    it(`sched ${argv.join(' ')}: exit 2 with the reason, nothing written`, async () => {
      const before = await counts();
      const result = await sched(argv, env);
      expect(result.code).toBe(2);
      expect(result.stderr).toMatch(message);
      expect(await counts()).toEqual(before);
    });
  }

  it('sched trigger --date within BACKFILL_DAYS backfills', async () => {
    const result = await sched(['trigger', '--date', addDays(today, -3)], env);
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/Triggered .*: enqueued/);
  });

  it('sched trigger with every provider disabled warns on stderr, exits 1 and leaves the night open', async () => {
    const check = await openDatabase({ url: env.DATABASE_URL, pgliteDir: env.PGLITE_DIR });
    try {
      await check.db.execute(sql`update providers set enabled = false`);
    } finally {
      await check.close();
    }
    // Slack credentials without a profile: no simulated stand-in, so no provider is enabled either.
    const noProviders = {
      ...env,
      SIMULATED_PROFILE: undefined,
      SLACK_BOT_TOKEN: 'xoxb-test',
      SLACK_SIGNING_SECRET: 'test-signing-secret',
    };
    const date = addDays(today, -1);
    const result = await sched(['trigger', '--date', date], noProviders);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/enqueued nothing/);
    expect(result.stderr).toMatch(/no provider is enabled/);
    const again = await sched(['trigger', '--date', date], noProviders);
    expect(again.code).toBe(1);
    expect(again.stderr).not.toMatch(/already triggered/);
  });
});
