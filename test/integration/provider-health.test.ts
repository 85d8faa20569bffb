import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { openDatabase } from '../../src/db/client.ts';
import { createMetrics } from '../../src/metrics/metrics.ts';
import { postcheckStep } from '../../src/scheduler/postcheck-step.ts';
import { reconcile } from '../../src/scheduler/reconciler.ts';
import { runTrigger } from '../../src/scheduler/trigger.ts';
import { createSnooze } from '../../src/store/snoozes.ts';
import { runDateOf } from '../../src/time/business-day.ts';
import { cliEnvironment, sched } from '../support/cli.ts';
import { backends, type TestDatabase } from '../support/db.ts';
import { type FakePagerDuty, startFakePagerDuty } from '../support/fake-pagerduty.ts';
import { type HeartbeatServer, startHeartbeatServer } from '../support/heartbeat-server.ts';
import { clockedDeps, endNightWithFailures, seedSmallDemo } from '../support/scheduler-deps.ts';

/**
 * Health counts every provider: a night where one provider failed for every org (every prompt
 * still answered by another provider) needs attention, names the provider, pings the heartbeat's
 * /fail and pages; the same night with that provider snoozed pages nobody and pings success.
 */

const ZONE = 'America/New_York';
const ROUTING_KEY = 'R0UT1NGKEY0123456789abcdefABCDEF';

describe.each(backends())('one provider failed for every org, through `sched`, on $name', (backend) => {
  let env: Record<string, string | undefined>;
  let close: () => Promise<void>;
  let monitor: HeartbeatServer;
  let pd: FakePagerDuty;

  beforeAll(async () => {
    monitor = await startHeartbeatServer();
    pd = await startFakePagerDuty();
    ({ env, close } = await cliEnvironment(backend, {
      SIMULATED_PROFILE: 'ideal',
      HEARTBEAT_URL: monitor.url,
      PAGERDUTY_ROUTING_KEY: ROUTING_KEY,
      PAGERDUTY_EVENTS_URL: pd.url,
    }));
  });
  afterAll(async () => {
    await close?.();
    await monitor?.close();
    await pd?.close();
  });

  it('`sched postcheck --json` is NEEDS_ATTENTION naming openai, pings /fail and pages', async () => {
    expect((await sched(['seed', '--demo'], env)).code).toBe(0);
    expect((await sched(['trigger'], env)).code).toBe(0);
    const runDate = runDateOf(new Date(), ZONE);
    const opened = await openDatabase({ url: env.DATABASE_URL, pgliteDir: env.PGLITE_DIR });
    try {
      await endNightWithFailures(opened.db, runDate, new Date(), 'openai', 'server');
    } finally {
      await opened.close();
    }
    expect((await sched(['reconcile'], env)).code).toBe(0);

    const result = await sched(['postcheck', '--json'], env);
    expect(result.code).toBe(0);
    const json = JSON.parse(result.stdout);
    // The seed's figures keep their meaning: every prompt was answered by some provider.
    expect(json.promptCoverage.coveragePercent).toBe(100);
    expect(json.orgCoverage.coveragePercent).toBe(100);
    expect(json.promptCoverage.fullCoveragePercent).toBe(0);
    const openai = json.providers.find((p: { provider: string }) => p.provider === 'openai');
    expect(openai.succeededUnits).toBe(0);
    expect(json.summary.overallHealth).toBe('NEEDS_ATTENTION');
    expect(json.summary.reasons).toEqual([
      {
        code: 'provider_coverage_below_threshold',
        provider: 'openai',
        message: `openai answered 0% (0/${openai.expectedUnits}) of its units, below 95%`,
      },
    ]);
    expect(json.thresholds.providerPercent).toBe(95);

    const path = new URL(monitor.url).pathname;
    expect(monitor.pings).toEqual([`GET ${path}/start`, `GET ${path}/fail`]);
    const events = pd.accepted();
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({ event_action: 'trigger', dedup_key: `sched-bot-${runDate}` });
    expect(events[0]?.payload).toMatchObject({
      custom_details: { reasons: ['provider_coverage_below_threshold'] },
    });

    // `sched status` says the same in words.
    const status = await sched(['status'], env);
    expect(status.stdout).toMatch(/NEEDS_ATTENTION/);
    expect(status.stdout).toMatch(/openai answered 0% \(0\/\d+\) of its units, below 95%/);
  });
});

describe.each(backends())('a provider down for every org but snoozed, on $name', (backend) => {
  const RUN_DATE = '2026-03-09';
  const at = new Date('2026-03-09T08:00:00Z');
  let database: TestDatabase;
  let monitor: HeartbeatServer;
  let pd: FakePagerDuty;

  beforeAll(async () => {
    database = await backend.create();
    monitor = await startHeartbeatServer();
    pd = await startFakePagerDuty();
  });
  afterEach(() => {
    monitor.pings.length = 0;
    pd.events.length = 0;
  });
  afterAll(async () => {
    await database?.close();
    await monitor?.close();
    await pd?.close();
  });

  it('stays in the figures, needs attention, but pages nobody and pings success', async () => {
    const deps = clockedDeps(database.db, at, {
      HEARTBEAT_URL: monitor.url,
      PAGERDUTY_ROUTING_KEY: ROUTING_KEY,
      PAGERDUTY_EVENTS_URL: pd.url,
    });
    await seedSmallDemo(database.db);
    await runTrigger(deps, { runDate: RUN_DATE, triggeredBy: 'test', scheduled: true });
    await endNightWithFailures(database.db, RUN_DATE, at, 'gemini', 'server');
    await reconcile(database.db, at);
    await createSnooze(database.db, {
      provider: 'gemini',
      orgId: null,
      startsAt: new Date(at.getTime() - 3_600_000),
      endsAt: null,
      untilSuccess: true,
      reason: 'vendor outage',
      createdBy: 'cli:test',
    });
    monitor.pings.length = 0;

    const result = await postcheckStep(deps, { runDate: RUN_DATE, triggeredBy: 'test', scheduled: true });
    const { summary } = result.report;
    expect(summary.overallHealth).toBe('NEEDS_ATTENTION');
    expect(summary.reasons.map((r) => [r.code, r.provider])).toEqual([
      ['provider_coverage_below_threshold', 'gemini'],
    ]);
    expect(summary.actionable).toBe(0);
    expect(result.paged).toBe('unchanged');
    expect(pd.events).toEqual([]);
    const path = new URL(monitor.url).pathname;
    expect(monitor.pings).toEqual([`GET ${path}`]);
    // /metrics reads the same health: needs attention, nothing to act on, every miss snoozed.
    const metrics = (await createMetrics(deps).render()).body;
    const night = `{run_date="${RUN_DATE}"}`;
    expect(metrics).toContain(`sched_night_healthy${night} 0`);
    expect(metrics).toContain(`sched_units_missing_actionable${night} 0`);
    expect(metrics).toMatch(new RegExp(`sched_units_snoozed\\{run_date="${RUN_DATE}"\\} [1-9]`));
  });
});
