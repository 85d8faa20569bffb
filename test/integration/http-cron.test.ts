import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSlackBot } from '../../src/app/slack-bot.ts';
import { LocalWebApi } from '../../src/console/local-web-api.ts';
import { openDatabase, queryOne } from '../../src/db/client.ts';
import { checkCronSecret } from '../../src/http/cron-secret.ts';
import { opsRoutes } from '../../src/http/ops-routes.ts';
import { toCustomRoutes } from '../../src/http/routes.ts';
import { createMetrics } from '../../src/metrics/metrics.ts';
import { backends, type TestDatabase } from '../support/db.ts';
import { call, type OpsServer, startOpsServer } from '../support/ops-server.ts';
import { clockedDeps, completeAllLive, DEMO_UNITS, seedSmallDemo } from '../support/scheduler-deps.ts';
import { pgliteTemplate } from '../support/template.ts';

const RUN_DATE = '2026-03-02';
const NOW = '2026-03-02T10:00:00Z'; // 05:00 in New York: the night is over
const SECRET = 'cron-secret-for-tests-3f9a';
const ENDPOINTS = ['daily-batch-trigger', 'batch-reconciler', 'scheduler-postcheck', 'manual-daily-run'];
/** gemini's units stay unanswered: 17 prompts of the plans that include it (see seedSmallDemo). */
const GEMINI_UNITS = 17;

describe('checkCronSecret', () => {
  it('accepts only the configured secret, whatever the length of the guess', () => {
    expect(checkCronSecret(SECRET, SECRET)).toBe('ok');
    expect(checkCronSecret(SECRET, [SECRET])).toBe('ok');
    expect(checkCronSecret(SECRET, `${SECRET}x`)).toBe('wrong');
    expect(checkCronSecret(SECRET, 'x')).toBe('wrong');
    expect(checkCronSecret(SECRET, SECRET.toUpperCase())).toBe('wrong');
    expect(checkCronSecret(SECRET, '')).toBe('missing');
    expect(checkCronSecret(SECRET, undefined)).toBe('missing');
    expect(checkCronSecret(undefined, SECRET)).toBe('not_configured');
  });
});

describe.each(backends())('cron endpoints on $name', (backend) => {
  let database: TestDatabase;
  let server: OpsServer;
  const runCount = async () =>
    (await queryOne<{ n: number }>(database.db, sql`select count(*)::int as n from scheduler_runs`))?.n;

  beforeAll(async () => {
    database = await backend.create();
    await seedSmallDemo(database.db);
    server = await startOpsServer(clockedDeps(database.db, NOW, { CRON_SECRET: SECRET }));
  });
  afterAll(async () => {
    await server.close();
    await database.close();
  });

  it('refuses a missing or wrong secret with 401 JSON and records nothing', async () => {
    for (const name of ENDPOINTS) {
      for (const secret of [undefined, '', 'wrong', `${SECRET}-but-longer`, SECRET.slice(0, -1)]) {
        const response = await call(`${server.url}/functions/v1/${name}`, { secret });
        expect(response.status, `${name} with ${String(secret)}`).toBe(401);
        expect(response.headers.get('content-type')).toMatch(/application\/json/);
        expect(response.json).toEqual({
          error: 'unauthorized',
          message: 'missing or wrong x-cron-secret header',
        });
      }
    }
    expect(await runCount()).toBe(0);
  });

  it('answers a wrong method with 405 and the allowed one', async () => {
    const response = await call(`${server.url}/functions/v1/daily-batch-trigger`, {
      method: 'GET',
      secret: SECRET,
    });
    expect(response.status).toBe(405);
    expect(response.headers.get('allow')).toBe('POST');
    expect(response.json.error).toBe('method_not_allowed');
    expect(await runCount()).toBe(0);
  });

  it('answers an unknown path with 404 JSON', async () => {
    const response = await call(`${server.url}/functions/v1/drop-everything`, { secret: SECRET });
    expect(response.status).toBe(404);
    expect(response.json.error).toBe('not_found');
  });

  it('triggers the night once, as the seed curl does', async () => {
    const first = await call(`${server.url}/functions/v1/daily-batch-trigger`, { secret: SECRET });
    expect(first.status).toBe(200);
    expect(first.json).toMatchObject({ status: 'triggered', runDate: RUN_DATE, tasks: DEMO_UNITS });
    const tasks = await queryOne<{ n: number }>(
      database.db,
      sql`select count(*)::int as n from batch_tasks where run_date = ${RUN_DATE}::date`,
    );
    expect(tasks?.n).toBe(DEMO_UNITS);

    const again = await call(`${server.url}/functions/v1/daily-batch-trigger`, { secret: SECRET });
    expect(again.status).toBe(200);
    expect(again.json).toMatchObject({ status: 'already_triggered', triggeredBy: 'cron-endpoint' });
  });

  it('returns the seed-shaped postcheck JSON whose counts match the tables', async () => {
    const at = new Date(NOW);
    await completeAllLive(database.db, RUN_DATE, at, { provider: 'gemini' });
    await database.db.execute(
      sql`update batch_tasks set status = 'failed', error_class = 'server', last_error = 'HTTP 503', attempts = 3,
                 completed_at = ${at.toISOString()}::timestamptz
          where run_date = ${RUN_DATE}::date and status = 'pending'`,
    );
    const reconciled = await call(`${server.url}/functions/v1/batch-reconciler`, { secret: SECRET });
    expect(reconciled.status).toBe(200);
    expect(reconciled.json.jobsCompleted).toBeGreaterThan(0);

    const response = await call(`${server.url}/functions/v1/scheduler-postcheck`, { secret: SECRET });
    expect(response.status).toBe(200);
    const body = response.json;
    const expected = await queryOne<{
      prompts: number;
      covered: number;
      units: number;
      ok: number;
      orgs: number;
      found: number;
    }>(
      database.db,
      sql`select (select count(distinct prompt_id)::int from batch_tasks where run_date = ${RUN_DATE}::date) as prompts,
                 (select count(distinct prompt_id)::int from prompt_provider_responses
                   where run_date = ${RUN_DATE}::date and status = 'success') as covered,
                 (select count(*)::int from batch_tasks where run_date = ${RUN_DATE}::date) as units,
                 (select count(*)::int from prompt_provider_responses
                   where run_date = ${RUN_DATE}::date and status = 'success') as ok,
                 (select count(distinct org_id)::int from batch_jobs where run_date = ${RUN_DATE}::date) as orgs,
                 (select count(distinct org_id)::int from batch_jobs
                   where run_date = ${RUN_DATE}::date and status = 'completed') as found`,
    );
    expect(body.promptCoverage).toMatchObject({
      expectedActivePrompts: expected?.prompts,
      promptsRunToday: expected?.covered,
      missingPromptsCount: 0,
    });
    expect(body.orgCoverage).toMatchObject({ expected: expected?.orgs, found: expected?.found });
    expect(body.units).toMatchObject({
      expected: expected?.units,
      succeeded: expected?.ok,
      missing: GEMINI_UNITS,
    });
    // Every prompt was answered by some provider, but gemini answered none of its units: one
    // provider down for every org is never healthy.
    expect(body.summary).toEqual({
      overallHealth: 'NEEDS_ATTENTION',
      promptCoveragePercent: 100,
      orgCoveragePercent: 100,
      reasons: [
        {
          code: 'provider_coverage_below_threshold',
          provider: 'gemini',
          message: `gemini answered 0% (0/${GEMINI_UNITS}) of its units, below 95%`,
        },
      ],
      nothingToRun: false,
      // The gemini units are missing and nothing is snoozed: all of them call for action.
      actionable: GEMINI_UNITS,
    });
    expect(body.repair).toBeUndefined();
    // Recorded like any postcheck, and handed to the report hook.
    const run = await queryOne<{ status: string; health: string }>(
      database.db,
      sql`select status, result->'summary'->>'overallHealth' as health from scheduler_runs where id = ${body.runId}`,
    );
    expect(run).toEqual({ status: 'completed', health: 'NEEDS_ATTENTION' });
    expect(server.postchecks.at(-1)?.runId).toBe(body.runId);
  });

  it('narrows ?repair=true with &scope and &provider; a bad one is a 400 that records nothing', async () => {
    const url = (query: string) => `${server.url}/functions/v1/scheduler-postcheck?${query}`;
    const before = await runCount();
    for (const [query, message] of [
      ['repair=true&scope=everything', /scope must be one of missing, failed, all/],
      ['repair=true&provider=mistral', /unknown provider "mistral"/],
      ['repair=true&scope=failed&provider=', /unknown provider ""/],
      ['scope=failed', /add repair=true/],
      ['provider=gemini', /add repair=true/],
    ] as const) {
      const response = await call(url(query), { secret: SECRET });
      expect(response.status, query).toBe(400);
      expect(response.json).toMatchObject({ error: 'usage', message: expect.stringMatching(message) });
    }
    expect(await runCount()).toBe(before);

    // Only gemini's units failed: openai's failed units are none, so nothing is enqueued.
    const openai = await call(url('repair=true&scope=failed&provider=openai'), { secret: SECRET });
    expect(openai.status).toBe(200);
    expect(openai.json.repair).toMatchObject({ tasks: 0, scope: 'failed', provider: 'openai' });
    const live = await queryOne<{ n: number }>(
      database.db,
      sql`select count(*)::int as n from batch_tasks where run_date = ${RUN_DATE}::date and status = 'pending'`,
    );
    expect(live?.n).toBe(0);
  });

  it('with ?repair=true enqueues exactly the missing units and says so', async () => {
    const response = await call(`${server.url}/functions/v1/scheduler-postcheck?repair=true`, {
      secret: SECRET,
    });
    expect(response.status).toBe(200);
    expect(response.json.units.missing).toBe(GEMINI_UNITS);
    expect(response.json.repair).toMatchObject({ tasks: GEMINI_UNITS, byProvider: { gemini: GEMINI_UNITS } });
    const live = await queryOne<{ n: number; providers: string }>(
      database.db,
      sql`select count(*)::int as n, string_agg(distinct provider, ',') as providers
          from batch_tasks where run_date = ${RUN_DATE}::date and status = 'pending'`,
    );
    expect(live).toEqual({ n: GEMINI_UNITS, providers: 'gemini' });
  });

  it('runs the manual daily run for every unit without a live task', async () => {
    const response = await call(`${server.url}/functions/v1/manual-daily-run`, { secret: SECRET });
    expect(response.status).toBe(200);
    expect(response.json).toMatchObject({ source: 'manual', tasks: DEMO_UNITS - GEMINI_UNITS });
  });

  it('refuses an "every unit" repair after the manual run with 409 unless confirm=true', async () => {
    await completeAllLive(database.db, RUN_DATE, new Date(NOW));
    const url = (query: string) => `${server.url}/functions/v1/scheduler-postcheck?${query}`;
    const before = await runCount();
    // The manual run above already asked for fresh answers: asking again needs a person's yes.
    const refused = await call(url('repair=true&scope=all'), { secret: SECRET });
    expect(refused.status).toBe(409);
    expect(refused.json).toMatchObject({
      error: 'conflict',
      message: expect.stringMatching(
        /already had fresh answers: a manual run of every unit by cron-endpoint.*add `confirm=true`/,
      ),
    });
    expect(await runCount()).toBe(before);
    const pending = sql`select count(*)::int as n from batch_tasks where run_date = ${RUN_DATE}::date and status = 'pending'`;
    expect((await queryOne<{ n: number }>(database.db, pending))?.n).toBe(0);

    const confirmed = await call(url('repair=true&scope=all&confirm=true'), { secret: SECRET });
    expect(confirmed.status).toBe(200);
    expect(confirmed.json.repair).toMatchObject({ tasks: DEMO_UNITS, scope: 'all' });
    expect((await queryOne<{ n: number }>(database.db, pending))?.n).toBe(DEMO_UNITS);
  });

  it('answers a bad or future date with 400 JSON, not a 200 with an error inside', async () => {
    const before = await runCount();
    const bad = await call(`${server.url}/functions/v1/scheduler-postcheck?date=2026-02-30`, {
      secret: SECRET,
    });
    expect(bad.status).toBe(400);
    expect(bad.json).toMatchObject({ error: 'usage', message: expect.stringMatching(/real calendar date/) });
    const future = await call(`${server.url}/functions/v1/daily-batch-trigger?date=2026-03-09`, {
      secret: SECRET,
    });
    expect(future.status).toBe(400);
    expect(future.json.message).toMatch(/future/);
    expect(await runCount()).toBe(before);
  });

  it('is disabled with 503 when CRON_SECRET is not set', async () => {
    const unset = await startOpsServer(clockedDeps(database.db, NOW));
    try {
      const before = await runCount();
      for (const name of ENDPOINTS) {
        const response = await call(`${unset.url}/functions/v1/${name}`, { secret: SECRET });
        expect(response.status).toBe(503);
        expect(response.json.message).toMatch(/CRON_SECRET is not set/);
      }
      expect(await runCount()).toBe(before);
    } finally {
      await unset.close();
    }
  });
});

describe('a cron endpoint whose database is gone', () => {
  it('turns the failure into a 500 JSON body without the details', async () => {
    const closed = await openDatabase({ pgliteDir: 'memory://', pgliteTemplate: await pgliteTemplate() });
    await closed.close();
    const failing = await startOpsServer(clockedDeps(closed.db, NOW, { CRON_SECRET: SECRET }));
    try {
      const response = await call(`${failing.url}/functions/v1/daily-batch-trigger`, { secret: SECRET });
      expect(response.status).toBe(500);
      expect(response.json).toEqual({
        error: 'internal',
        message: 'internal error; the server log has the details',
      });
    } finally {
      await failing.close();
    }
  });
});

describe.each(backends())('the ops routes inside the Bolt HTTP receiver on $name', (backend) => {
  it('answers 405, 401 and 200 the same way, next to /slack/events', async () => {
    const database = await backend.create();
    const api = new LocalWebApi({ token: 'xoxb-ops-routes-test' });
    await api.start();
    const deps = clockedDeps(database.db, NOW, { CRON_SECRET: SECRET });
    const routes = opsRoutes({
      ...deps,
      metrics: createMetrics(deps),
      workers: () => ({ expected: 1, alive: 1 }),
    });
    const slack = createSlackBot(deps, {
      botToken: 'xoxb-ops-routes-test',
      signingSecret: 'ops-routes-signing-secret',
      apiUrl: api.url,
      port: 0,
      host: '127.0.0.1',
      customRoutes: toCustomRoutes(routes, deps.logger),
    });
    try {
      const { port } = await slack.start();
      const base = `http://127.0.0.1:${port}`;
      const wrongMethod = await call(`${base}/functions/v1/scheduler-postcheck`, {
        method: 'GET',
        secret: SECRET,
      });
      expect(wrongMethod.status).toBe(405);
      expect(wrongMethod.headers.get('allow')).toBe('POST');
      expect((await call(`${base}/functions/v1/scheduler-postcheck?repair=true`)).status).toBe(401);
      const ok = await call(`${base}/functions/v1/scheduler-postcheck`, { secret: SECRET });
      expect(ok.status).toBe(200);
      expect(ok.json.summary.overallHealth).toBe('HEALTHY');
      expect((await call(`${base}/metrics`, { method: 'GET' })).status).toBe(200);
      // Bolt still owns its own path: an unsigned event is refused there, not by these routes.
      expect((await call(`${base}/slack/events`)).status).toBe(401);
    } finally {
      await slack.stop();
      await api.stop();
      await database.close();
    }
  });
});
