import { webApi } from '@slack/bolt';
import { sql } from 'drizzle-orm';
import { DateTime } from 'luxon';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { LocalWebApi } from '../../src/console/local-web-api.ts';
import { type Database, openDatabase, queryRows } from '../../src/db/client.ts';
import { silentLogger } from '../../src/logger.ts';
import { slackNightReporter } from '../../src/report/slack-night-reporter.ts';
import type { StepDeps } from '../../src/scheduler/night-reporter.ts';
import { schedulerTick } from '../../src/scheduler/scheduler-tick.ts';
import { backends, type TestDatabase, truncateAll } from '../support/db.ts';
import { BOT_TOKEN, harnessConfig, REPORT_CHANNEL } from '../support/fake-slack.ts';
import { installedAt, setProviders } from '../support/insert-rows.ts';
import { call, startOpsServer } from '../support/ops-server.ts';
import { seedSmallDemo } from '../support/scheduler-deps.ts';

/**
 * The watchdog for the watchdog: three live instances (each its own pool on PostgreSQL, its own
 * Slack client) tick at once while tonight's trigger cannot start (every provider disabled: it
 * is `skipped` on each try). One "late" alert reaches the report channel, once per night and
 * step, and /healthz says so.
 */

const ZONE = 'America/New_York';
// The fall-back day: 03:00 is 08:00 UTC (EST), an hour later than the day before.
const RUN_DATE = '2026-11-01';
const local = (time: string) => DateTime.fromISO(`${RUN_DATE}T${time}`, { zone: ZONE }).toJSDate();

describe.each(backends())('late-step alerts on $name', (backend) => {
  let database: TestDatabase;
  let api: LocalWebApi;
  let extra: Database[] = [];
  let instances: StepDeps[];
  const now = { at: local('03:00') };

  beforeAll(async () => {
    database = await backend.create();
    api = new LocalWebApi({ token: BOT_TOKEN });
    await api.start();
    // On PostgreSQL each instance has its own pool, as three `serve` processes would.
    extra =
      backend.name === 'postgres'
        ? await Promise.all([1, 2].map(() => openDatabase({ url: database.url, poolSize: 2 })))
        : [];
    const dbs = [database.db, ...extra.map((d) => d.db)];
    instances = [0, 1, 2].map((i) => {
      const config = harnessConfig(api.url);
      const deps = {
        db: dbs[i] ?? database.db,
        config,
        logger: silentLogger(),
        clock: () => new Date(now.at),
      };
      const client = new webApi.WebClient(BOT_TOKEN, { slackApiUrl: api.url, retryConfig: { retries: 0 } });
      return { ...deps, reporter: slackNightReporter({ ...deps, client }) };
    });
  });
  beforeEach(async () => {
    await truncateAll(database);
    await seedSmallDemo(database.db);
    await setProviders(database.db, { openai: false, anthropic: false, gemini: false, perplexity: false });
    await installedAt(database.db, local('00:00'));
    api.calls.length = 0;
    // A fresh channel: a message of an earlier test would be found and adopted.
    api.messages.clear();
  });
  afterAll(async () => {
    for (const d of extra) await d.close();
    await api?.stop();
    await database?.close();
  });

  const tickAll = async (time: string) => {
    now.at = local(time);
    return Promise.all(instances.map((deps) => schedulerTick(deps, { now: deps.clock() })));
  };
  const alerts = () => api.callsTo('chat.postMessage').filter((c) => String(c.body.text).includes('Late:'));
  const claims = () =>
    queryRows<{ step: string; channel: string | null; ts: string | null }>(
      database.db,
      sql`select step, channel, ts from late_alerts where run_date = ${RUN_DATE}::date`,
    );

  it('three instances post one alert when the trigger has not started 15 minutes after its time', async () => {
    for (const result of await tickAll('03:14')) expect(result.lateAlerts).toEqual([]);
    expect(alerts()).toHaveLength(0);

    const results = await tickAll('03:15');
    expect(results.flatMap((r) => r.lateAlerts)).toEqual(['trigger']);
    const [alert] = alerts();
    expect(alerts()).toHaveLength(1);
    expect(alert?.body.channel).toBe(REPORT_CHANNEL);
    expect(String(alert?.body.text)).toContain('the nightly trigger of Sun, Nov 1, 2026 has not started');
    // 03:00 EST is 08:00 UTC on the fall-back day.
    expect(String(alert?.body.text)).toContain(`<!date^${Date.parse('2026-11-01T08:00:00Z') / 1000}^`);
    expect(await claims()).toEqual([{ step: 'trigger', channel: REPORT_CHANNEL, ts: expect.any(String) }]);

    // Later ticks of every instance: still late, never posted again.
    await tickAll('03:20');
    await tickAll('03:45');
    expect(alerts()).toHaveLength(1);
  });

  it('a postcheck still running 15 minutes after its time is late; /healthz says so', async () => {
    // Tonight's trigger ran; the postcheck started at 04:00 and never finished (its row is fresh,
    // so no instance takes it over yet).
    await database.db.execute(sql`
      insert into scheduler_runs (function_name, run_key, status, started_at, completed_at, triggered_by)
      values ('daily-batch-trigger', ${RUN_DATE}, 'completed', ${local('03:00').toISOString()}::timestamptz,
              ${local('03:01').toISOString()}::timestamptz, 'scheduler'),
             ('scheduler-postcheck', ${RUN_DATE}, 'running', ${local('04:00').toISOString()}::timestamptz,
              null, 'scheduler')`);
    const results = await tickAll('04:16');
    expect(results.flatMap((r) => r.lateAlerts)).toEqual(['postcheck']);
    expect(alerts()).toHaveLength(1);
    expect(String(alerts()[0]?.body.text)).toContain('the postcheck of Sun, Nov 1, 2026 has not finished');

    const ops = await startOpsServer(instances[0] as StepDeps);
    try {
      const health = await call(`${ops.url}/healthz`, { method: 'GET' });
      expect(health.status).toBe(503);
      expect(health.json.lastNight.postcheck).toMatchObject({ status: 'running', late: true });
      expect(health.json.lastNight.trigger).toMatchObject({ status: 'completed', late: false });
      expect(health.json.reasons).toContain(
        `${RUN_DATE} postcheck is late: has not finished 15 minutes after its time (due at 2026-11-01T09:00:00.000Z)`,
      );
    } finally {
      await ops.close();
    }
  });

  it('/healthz names a trigger that has not started, before and after the alert', async () => {
    now.at = local('03:16');
    const ops = await startOpsServer(instances[0] as StepDeps);
    try {
      await schedulerTick(instances[0] as StepDeps, { now: now.at });
      const health = await call(`${ops.url}/healthz`, { method: 'GET' });
      expect(health.status).toBe(503);
      expect(health.json.lastNight.trigger).toMatchObject({ status: 'skipped', late: true });
      expect(health.json.reasons).toContain(
        `${RUN_DATE} trigger is late: has not started 15 minutes after its time (due at 2026-11-01T08:00:00.000Z)`,
      );
    } finally {
      await ops.close();
    }
  });

  it('a post Slack refuses gives the claim back, and the next tick posts', async () => {
    api.failNext('chat.postMessage', { error: 'channel_not_found' });
    const first = await schedulerTick(instances[0] as StepDeps, { now: local('03:20') });
    expect(first.lateAlerts).toEqual([]);
    expect(await claims()).toEqual([]);
    now.at = local('03:25');
    const second = await schedulerTick(instances[1] as StepDeps, { now: now.at });
    expect(second.lateAlerts).toEqual(['trigger']);
    // The refused attempt and the one that went through.
    expect(alerts()).toHaveLength(2);
    expect(await claims()).toEqual([{ step: 'trigger', channel: REPORT_CHANNEL, ts: expect.any(String) }]);
  });

  it('an instance without Slack claims nothing, so one with Slack still posts', async () => {
    const [withSlack] = instances as [StepDeps];
    const { reporter: _none, ...noSlack } = withSlack;
    expect((await schedulerTick(noSlack, { now: local('03:20') })).lateAlerts).toEqual([]);
    expect(await claims()).toEqual([]);
    expect((await schedulerTick(withSlack, { now: local('03:21') })).lateAlerts).toEqual(['trigger']);
  });
});
