import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LocalWebApi } from '../../src/console/local-web-api.ts';
import { queryOne } from '../../src/db/client.ts';
import { silentLogger } from '../../src/logger.ts';
import { slackNightReporter, webClientFor } from '../../src/report/slack-night-reporter.ts';
import type { StepDeps } from '../../src/scheduler/night-reporter.ts';
import { runPostcheck } from '../../src/scheduler/postcheck.ts';
import { postDueReports } from '../../src/scheduler/refresh-night.ts';
import { runDateOf } from '../../src/time/business-day.ts';
import { backends, type TestDatabase } from '../support/db.ts';
import { BOT_TOKEN, harnessConfig, REPORT_CHANNEL } from '../support/fake-slack.ts';
import { seedSmallDemo } from '../support/scheduler-deps.ts';

/**
 * Slack back after an outage longer than the client's retries: the night postchecked meanwhile
 * has no report message, and postDueReports posts it, once; a night already reported is left alone.
 */
describe.each(backends())('postDueReports on $name', (backend) => {
  let database: TestDatabase;
  let api: LocalWebApi;
  let deps: StepDeps;

  beforeAll(async () => {
    database = await backend.create();
    api = new LocalWebApi({ token: BOT_TOKEN });
    await api.start();
    const config = harnessConfig(api.url);
    const base = { db: database.db, config, logger: silentLogger(), clock: () => new Date() };
    const client = await webClientFor(config);
    if (!client) throw new Error('no Slack client for the harness config');
    deps = { ...base, reporter: slackNightReporter({ ...base, client }) };
    await seedSmallDemo(database.db);
  });
  afterAll(async () => {
    await api?.stop();
    await database?.close();
  });

  it('posts the report a postcheck could not post, once', async () => {
    const runDate = runDateOf(deps.clock(), deps.config.timezone);
    // Recorded while Slack was away: no report message.
    await runPostcheck(deps, { runDate, triggeredBy: 'test' });
    expect(await postDueReports(deps)).toEqual([runDate]);
    expect(api.callsTo('chat.postMessage')).toHaveLength(1);
    expect(api.callsTo('chat.postMessage')[0]?.body).toMatchObject({ channel: REPORT_CHANNEL });
    const row = await queryOne<{ ts: string | null }>(
      database.db,
      sql`select ts from slack_reports where run_date = ${runDate}::date`,
    );
    expect(row?.ts).toBeTruthy();
    expect(await postDueReports(deps)).toEqual([]);
    expect(api.callsTo('chat.postMessage')).toHaveLength(1);
  });

  it("posts yesterday's missing report by the business day, across the DST change", async () => {
    // Sun, Nov 1, 22:30 in New York, after the change: already Nov 2 in UTC. Saturday's report,
    // refused at its postcheck, is owed; a window taken from UTC dates would miss it.
    const now = new Date('2026-11-02T03:30:00Z');
    const sunday = { ...deps, clock: () => now };
    const client = await webClientFor(sunday.config);
    if (!client) throw new Error('no Slack client for the harness config');
    sunday.reporter = slackNightReporter({ ...sunday, client });
    const saturday = '2026-10-31';
    await runPostcheck(sunday, { runDate: saturday, triggeredBy: 'test', scheduled: true });
    const posts = api.callsTo('chat.postMessage').length;
    expect(await postDueReports(sunday, { remeasure: false })).toEqual([saturday]);
    expect(api.callsTo('chat.postMessage')).toHaveLength(posts + 1);
  });
});
