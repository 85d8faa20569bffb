import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDatabase } from '../../src/db/client.ts';
import { PROVIDER_NAMES } from '../../src/providers/types.ts';
import { runPostcheck } from '../../src/scheduler/postcheck.ts';
import { snoozeFromAsk } from '../../src/scheduler/snooze-request.ts';
import { runTrigger } from '../../src/scheduler/trigger.ts';
import { beatWorker, removeWorker } from '../../src/store/workers.ts';
import { backends, type TestDatabase } from '../support/db.ts';
import { installedAt } from '../support/insert-rows.ts';
import { call, type OpsServer, startOpsServer } from '../support/ops-server.ts';
import { type ClockedDeps, clockedDeps, completeAllLive, seedSmallDemo } from '../support/scheduler-deps.ts';
import { pgliteTemplate } from '../support/template.ts';

const RUN_DATE = '2026-03-02';
const NOW = '2026-03-02T10:00:00Z'; // 05:00 in New York: trigger (03:00) and postcheck (04:00) are due
const SECRET = 'metrics-test-secret';

/**
 * The Prometheus text format, strictly: every line is a comment (# HELP / # TYPE) or
 * `name{label="value",...} number`, the number as Prometheus parses it (Go's ParseFloat: NaN
 * and Inf in any case, which is how prom-client writes an empty lag gauge). Returns the samples.
 */
function parsePrometheus(text: string): Map<string, number> {
  const samples = new Map<string, number>();
  const label = String.raw`[a-zA-Z_][a-zA-Z0-9_]*="(?:[^"\\\n]|\\.)*"`;
  const sample = new RegExp(
    String.raw`^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(?:${label}(?:,${label})*)?\})? (-?\d+(?:\.\d+)?(?:e[+-]?\d+)?|[+-]?inf|nan)$`,
    'i',
  );
  for (const line of text.split('\n')) {
    if (line === '') continue;
    if (line.startsWith('#')) {
      expect(line).toMatch(
        /^# (HELP [a-zA-Z_:][a-zA-Z0-9_:]* .*|TYPE [a-zA-Z_:][a-zA-Z0-9_:]* (counter|gauge|histogram|summary|untyped))$/,
      );
      continue;
    }
    const match = sample.exec(line);
    expect(match, `not a Prometheus sample: ${line}`).not.toBeNull();
    samples.set(`${match?.[1]}${match?.[2] ?? ''}`, Number(match?.[3]));
  }
  return samples;
}

describe.each(backends())('/healthz and /metrics on $name', (backend) => {
  let database: TestDatabase;
  let deps: ClockedDeps;
  let server: OpsServer;

  beforeAll(async () => {
    database = await backend.create();
    await seedSmallDemo(database.db);
    // Installed that morning, before the night's steps were due: they are owed.
    await installedAt(database.db, '2026-03-02T05:00:00Z');
    // A worker elsewhere that can call every provider (the heartbeat runs on the database clock).
    await beatWorker(database.db, { workerId: 'elsewhere', providers: PROVIDER_NAMES });
    deps = clockedDeps(database.db, NOW, { CRON_SECRET: SECRET });
    server = await startOpsServer(deps);
  });
  afterAll(async () => {
    await server.close();
    await database.close();
  });

  it('is unhealthy while a due trigger and postcheck have no run', async () => {
    const response = await call(`${server.url}/healthz`, { method: 'GET' });
    expect(response.status).toBe(503);
    expect(response.json).toMatchObject({
      status: 'unhealthy',
      database: { reachable: true },
      lastNight: { runDate: RUN_DATE, trigger: { status: null, overdue: true } },
    });
    expect(response.json.reasons).toEqual([
      `${RUN_DATE} trigger is overdue (due at 2026-03-02T08:00:00.000Z, no run recorded)`,
      `${RUN_DATE} postcheck is overdue (due at 2026-03-02T09:00:00.000Z, no run recorded)`,
    ]);
  });

  it('is healthy once the night ran, and shows its health', async () => {
    await runTrigger(deps, { runDate: RUN_DATE, triggeredBy: 'scheduler', scheduled: true });
    await completeAllLive(database.db, RUN_DATE, deps.clock());
    await runPostcheck(
      {
        db: database.db,
        config: deps.config,
        clock: deps.clock,
      },
      { runDate: RUN_DATE, triggeredBy: 'scheduler', scheduled: true },
    );
    const response = await call(`${server.url}/healthz`, { method: 'GET' });
    expect(response.status).toBe(200);
    expect(response.json).toMatchObject({
      status: 'ok',
      reasons: [],
      workers: { expected: 1, alive: 1 },
      lastNight: {
        runDate: RUN_DATE,
        trigger: { status: 'completed', overdue: false },
        postcheck: { status: 'completed', overdue: false },
      },
    });
    // Organizations have no completed job yet (no reconciler ran): reported, not a 503.
    expect(response.json.lastNight.postcheck.health).toBe('NEEDS_ATTENTION');
  });

  it('before 03:00 looks at yesterday, whose missing runs do not fail a fresh instance', async () => {
    const early = await startOpsServer(clockedDeps(database.db, '2026-03-02T06:30:00Z'));
    try {
      const response = await call(`${early.url}/healthz`, { method: 'GET' });
      expect(response.status).toBe(200);
      expect(response.json.lastNight).toMatchObject({
        runDate: '2026-03-01',
        trigger: { status: null, overdue: false },
      });
    } finally {
      await early.close();
    }
  });

  it('is unhealthy when the workers stopped', async () => {
    const dead = await startOpsServer(deps, { workers: () => ({ expected: 2, alive: 1 }) });
    try {
      const response = await call(`${dead.url}/healthz`, { method: 'GET' });
      expect(response.status).toBe(503);
      expect(response.json.reasons).toEqual(['1 of 2 workers stopped']);
    } finally {
      await dead.close();
    }
  });

  it('is unhealthy when no live worker can call an enabled provider', async () => {
    await removeWorker(database.db, 'elsewhere');
    await beatWorker(database.db, { workerId: 'openai-only', providers: ['openai', 'perplexity'] });
    await beatWorker(database.db, { workerId: 'stale', providers: PROVIDER_NAMES });
    await database.db.execute(
      sql`update workers set heartbeat_at = now() - interval '5 minutes' where id = 'stale'`,
    );
    try {
      const response = await call(`${server.url}/healthz`, { method: 'GET' });
      expect(response.status).toBe(503);
      expect(response.json.reasons).toEqual(['no live worker can call anthropic, gemini']);
      expect(response.json.providersWithoutLiveWorker).toEqual(['anthropic', 'gemini']);
    } finally {
      await database.db.execute(sql`delete from workers`);
      await beatWorker(database.db, { workerId: 'elsewhere', providers: PROVIDER_NAMES });
    }
  });

  it('serves strict Prometheus text with coverage and task gauges that match the database', async () => {
    server.metrics.observeProviderCall({ provider: 'openai', latencyMs: 420 });
    server.metrics.observeProviderCall({ provider: 'perplexity', latencyMs: 90, errorClass: 'rate_limited' });
    server.metrics.observeProviderCall({ provider: 'perplexity', latencyMs: 30_000, errorClass: 'timeout' });
    const trigger = await call(`${server.url}/functions/v1/daily-batch-trigger`, { secret: SECRET });
    expect(trigger.status).toBe(200);

    await database.db.execute(
      sql`update prompt_provider_responses set tokens_in = 100, tokens_out = 400
          where run_date = ${RUN_DATE}::date and provider = 'openai'`,
    );
    const response = await call(`${server.url}/metrics`, { method: 'GET' });
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
    const samples = parsePrometheus(response.text);
    const labels = (provider: string) => `{run_date="${RUN_DATE}",provider="${provider}"}`;
    // seedSmallDemo: 42 units each for openai and perplexity, 17 each for anthropic and gemini.
    expect(samples.get(`sched_units_expected${labels('openai')}`)).toBe(42);
    expect(samples.get(`sched_units_succeeded${labels('openai')}`)).toBe(42);
    expect(samples.get(`sched_unit_coverage_ratio${labels('gemini')}`)).toBe(1);
    expect(samples.get(`sched_units_expected${labels('gemini')}`)).toBe(17);
    expect(samples.get(`sched_tasks{run_date="${RUN_DATE}",provider="anthropic",status="completed"}`)).toBe(
      17,
    );
    expect(samples.get('sched_provider_rate_limited_total{provider="perplexity"}')).toBe(1);
    expect(samples.get('sched_provider_errors_total{provider="perplexity",error_class="timeout"}')).toBe(1);
    expect(samples.get('sched_provider_request_duration_seconds_count{provider="openai",outcome="ok"}')).toBe(
      1,
    );
    expect(
      samples.get('sched_provider_request_duration_seconds_bucket{le="0.5",provider="openai",outcome="ok"}'),
    ).toBe(1);
    expect(
      samples.get('sched_scheduler_step_duration_seconds_count{step="daily-batch-trigger",outcome="ok"}'),
    ).toBe(1);
    expect(
      samples.get(
        'sched_scheduler_step_last_duration_seconds{step="scheduler-postcheck",status="completed"}',
      ),
    ).toBe(0);
    // The night's calls, tokens and cost per provider (default prices: openai 0.15 / 0.60 per 1M).
    expect(samples.get(`sched_provider_calls${labels('openai')}`)).toBe(42);
    expect(
      samples.get(`sched_provider_tokens{run_date="${RUN_DATE}",provider="openai",direction="in"}`),
    ).toBe(4200);
    expect(
      samples.get(`sched_provider_tokens{run_date="${RUN_DATE}",provider="openai",direction="out"}`),
    ).toBe(16_800);
    expect(samples.get(`sched_provider_cost_usd${labels('openai')}`)).toBeCloseTo(0.01071, 10);
    expect(samples.get(`sched_provider_cost_usd${labels('anthropic')}`)).toBe(0);
    expect(samples.has('sched_process_cpu_user_seconds_total')).toBe(true);
    const night = `{run_date="${RUN_DATE}"}`;
    expect(samples.get(`sched_prompt_coverage_ratio${night}`)).toBe(1);
    // Every unit answered, but no job is closed yet (no reconciler ran): no org counts as found.
    expect(samples.get(`sched_org_coverage_ratio${night}`)).toBe(0);
    expect(samples.get(`sched_night_healthy${night}`)).toBe(0);
    expect(samples.get(`sched_units_missing_actionable${night}`)).toBe(0);
    expect(samples.get(`sched_units_snoozed${night}`)).toBe(0);
    expect(samples.get(`sched_night_cost_usd${night}`)).toBeCloseTo(0.01071, 10);
  });

  it('gauges the actionable and the snoozed missing units of the night', async () => {
    // Every perplexity answer of the night is gone: 42 units missing, none snoozed yet.
    await database.db.execute(
      sql`delete from prompt_provider_responses where run_date = ${RUN_DATE}::date and provider = 'perplexity'`,
    );
    const night = `{run_date="${RUN_DATE}"}`;
    const scrape = async () => parsePrometheus((await call(`${server.url}/metrics`, { method: 'GET' })).text);
    const before = await scrape();
    expect(before.get(`sched_units_missing_actionable${night}`)).toBe(42);
    expect(before.get(`sched_units_snoozed${night}`)).toBe(0);
    const outcome = await snoozeFromAsk(clockedDeps(database.db, NOW), {
      provider: 'perplexity',
      end: '2h',
      createdBy: 'U0DANA',
    });
    expect(outcome.ok).toBe(true);
    const after = await scrape();
    expect(after.get(`sched_units_missing_actionable${night}`)).toBe(0);
    expect(after.get(`sched_units_snoozed${night}`)).toBe(42);
  });
});

describe('/metrics and /healthz without a database', () => {
  it('still serves the process metrics when the database is gone', async () => {
    const closed = await openDatabase({ pgliteDir: 'memory://', pgliteTemplate: await pgliteTemplate() });
    await closed.close();
    const failing = await startOpsServer(clockedDeps(closed.db, NOW));
    try {
      const metrics = await call(`${failing.url}/metrics`, { method: 'GET' });
      expect(metrics.status).toBe(200);
      const samples = parsePrometheus(metrics.text);
      expect(samples.get('sched_metrics_database_errors_total')).toBe(1);
      const health = await call(`${failing.url}/healthz`, { method: 'GET' });
      expect(health.status).toBe(503);
      expect(health.json.database.reachable).toBe(false);
      expect(health.json.reasons[0]).toMatch(/^database unreachable: /);
    } finally {
      await failing.close();
    }
  });
});
