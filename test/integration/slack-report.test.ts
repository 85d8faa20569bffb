import { webApi } from '@slack/bolt';
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { LocalWebApi } from '../../src/console/local-web-api.ts';
import type { Deps } from '../../src/context.ts';
import { queryOne } from '../../src/db/client.ts';
import { silentLogger } from '../../src/logger.ts';
import { createRepairRunner } from '../../src/report/repair-runner.ts';
import { loadComparison, postOrUpdateReport, refreshReports } from '../../src/report/report-poster.ts';
import { measureCoverage } from '../../src/scheduler/postcheck.ts';
import { activeRepair, claimActiveRepair } from '../../src/store/scheduler-runs.ts';
import { addDays, runDateOf } from '../../src/time/business-day.ts';
import { backends, type TestDatabase, truncateAll } from '../support/db.ts';
import { BOT_TOKEN, harnessConfig, nightWithFailures, REPORT_CHANNEL } from '../support/fake-slack.ts';
import { completeAllLive } from '../support/scheduler-deps.ts';
import { messageText } from '../support/slack-payloads.ts';

/** The morning report's post-or-edit rule and the repair claim, against a real database and the Web API stand-in. */
describe.each(backends())('morning report and repair claim on $name', (backend) => {
  let database: TestDatabase;
  let api: LocalWebApi;
  let client: webApi.WebClient;
  let deps: Deps;
  let runDate: string;

  beforeAll(async () => {
    database = await backend.create();
    api = new LocalWebApi({ token: BOT_TOKEN });
    await api.start();
    // No retries: a failure injected into the stand-in reaches the caller at once.
    client = new webApi.WebClient(BOT_TOKEN, { slackApiUrl: api.url, retryConfig: { retries: 0 } });
    deps = {
      db: database.db,
      config: harnessConfig(api.url),
      logger: silentLogger(),
      clock: () => new Date(),
    };
    runDate = runDateOf(deps.clock(), deps.config.timezone);
  });
  beforeEach(async () => {
    await truncateAll(database);
    api.calls.length = 0;
    // A fresh channel: a message of an earlier test would be found and adopted.
    api.messages.clear();
  });
  afterAll(async () => {
    await api?.stop();
    await database?.close();
  });

  it('posts the first report of a day, then edits that same message on every later postcheck', async () => {
    const { report } = await nightWithFailures(deps, runDate);
    const first = await postOrUpdateReport({ ...deps, client }, { runDate, report });
    expect(first?.action).toBe('posted');
    const second = await postOrUpdateReport({ ...deps, client }, { runDate, report });
    expect(second).toEqual({ channel: REPORT_CHANNEL, ts: first?.ts, action: 'updated' });
    expect(api.calls.map((c) => c.method)).toEqual([
      'conversations.history',
      'chat.postMessage',
      'chat.update',
    ]);
    expect(api.message(REPORT_CHANNEL, String(first?.ts))?.edits).toBe(1);
  });

  it('posts a new message and records it when the recorded one was deleted', async () => {
    const { report } = await nightWithFailures(deps, runDate);
    await database.db.execute(
      sql`insert into slack_reports (run_date, channel, ts) values (${runDate}::date, ${REPORT_CHANNEL}, '1.000001')`,
    );
    const posted = await postOrUpdateReport({ ...deps, client }, { runDate, report });
    expect(posted).toMatchObject({ action: 'reposted', gone: '1.000001' });
    const row = await queryOne<{ ts: string }>(
      database.db,
      sql`select ts from slack_reports where run_date = ${runDate}::date and channel = ${REPORT_CHANNEL}`,
    );
    expect(row?.ts).toBe(posted?.ts);
  });

  it('fails loudly when the report channel does not exist, recording nothing', async () => {
    const { report } = await nightWithFailures(deps, runDate);
    api.failNext('chat.postMessage', { error: 'channel_not_found' });
    await expect(postOrUpdateReport({ ...deps, client }, { runDate, report })).rejects.toThrow(
      /channel_not_found/,
    );
    const row = await queryOne(database.db, sql`select 1 as one from slack_reports`);
    expect(row).toBeUndefined();
  });

  it('waits out a rate limit and still posts', async () => {
    const { report } = await nightWithFailures(deps, runDate);
    const patient = new webApi.WebClient(BOT_TOKEN, {
      slackApiUrl: api.url,
      logLevel: webApi.LogLevel.ERROR,
    });
    api.failNext('chat.postMessage', { error: 'ratelimited', retryAfterSec: 1 });
    const posted = await postOrUpdateReport({ ...deps, client: patient }, { runDate, report });
    expect(posted?.action).toBe('posted');
    expect(api.callsTo('chat.postMessage').map((c) => c.status)).toEqual([429, 200]);
  });

  it('posts nothing without SLACK_REPORT_CHANNEL', async () => {
    const { report } = await nightWithFailures(deps, runDate);
    const bare = {
      ...deps,
      config: { ...deps.config, slack: { ...deps.config.slack, reportChannel: undefined } },
    };
    expect(await postOrUpdateReport({ ...bare, client }, { runDate, report })).toBeUndefined();
    expect(api.calls).toHaveLength(0);
  });

  it("compares with yesterday's recorded report and the median of the seven nights before", async () => {
    const { report } = await nightWithFailures(deps, runDate);
    const percents = [90, 80, 100, 70, 60, 95, 85];
    for (const [i, percent] of percents.entries()) {
      const day = addDays(runDate, -(i + 1));
      const prompts = { numerator: percent, denominator: 100, percent };
      const past = { ...report, runDate: day, ratios: { ...report.ratios, prompts } };
      const result = {
        ...past,
        promptCoverage: { ...report.promptCoverage, promptsRunToday: percent, expectedActivePrompts: 100 },
      };
      await database.db.execute(sql`
        insert into scheduler_runs (function_name, run_key, status, started_at, completed_at, triggered_by, result)
        values ('scheduler-postcheck', ${day}, 'completed', now(), now(), 'scheduler', ${JSON.stringify(result)}::jsonb)`);
    }
    const comparison = await loadComparison(deps, { runDate });
    expect(comparison.previous?.runDate).toBe(addDays(runDate, -1));
    expect(comparison.median7).toBe(85);
    await postOrUpdateReport({ ...deps, client }, { runDate, report });
    expect(messageText(api.callsTo('chat.postMessage')[0]?.body)).toContain('vs 7-night median 85%');
  });

  it('edits every recorded message of the day, skipping one deleted in Slack', async () => {
    const { report } = await nightWithFailures(deps, runDate);
    const posted = await postOrUpdateReport({ ...deps, client }, { runDate, report });
    await database.db.execute(
      sql`insert into slack_reports (run_date, channel, ts) values (${runDate}::date, 'C0GONE', '1.000001')`,
    );
    const fresh = await measureCoverage(deps, { runDate });
    const edited = await refreshReports({ ...deps, client }, { runDate, report: fresh });
    expect(edited).toEqual([{ channel: REPORT_CHANNEL, ts: posted?.ts }]);
  });

  it('keeps repairing when an edit fails, telling the clicker instead, and finishes with the final coverage', async () => {
    const { report } = await nightWithFailures(deps, runDate);
    const posted = await postOrUpdateReport({ ...deps, client }, { runDate, report });
    const target = { channel: REPORT_CHANNEL, ts: String(posted?.ts) };
    const told: string[] = [];
    const runner = createRepairRunner({ ...deps, client }, { progressIntervalMs: 10 });
    api.failNext('chat.update', { error: 'internal_error' });
    const start = await runner.start({
      runDate,
      userId: 'U0ADMIN01',
      message: target,
      answer: async (m) => {
        told.push(String(m.text));
      },
    });
    expect(start).toMatchObject({ kind: 'started', units: 67 });
    expect(told).toEqual([expect.stringContaining('Repair started by <@U0ADMIN01>: 67 units')]);
    await completeAllLive(database.db, runDate, new Date());
    if (start.kind === 'started') await start.finished;
    const final = messageText(api.message(target.channel, target.ts));
    expect(final).toContain('100% (118/118)');
    expect(final).toContain('Repair by <@U0ADMIN01> finished');
    expect(told).toHaveLength(1);
    const claim = await activeRepair(database.db, runDate);
    expect(claim?.status).toBe('completed');
  });

  it('stops watching at the timeout and says how far it got', async () => {
    await nightWithFailures(deps, runDate);
    const told: string[] = [];
    const runner = createRepairRunner({ ...deps, client }, { progressIntervalMs: 10, timeoutMs: 0 });
    const start = await runner.start({
      runDate,
      userId: 'U0ADMIN01',
      answer: async (m) => {
        told.push(String(m.text));
      },
    });
    if (start.kind === 'started') await start.finished;
    expect(told.at(-1)).toContain('Stopped watching the repair (timeout): 0/67 units done');
    const row = await queryOne<{ result: { timedOut: boolean } }>(
      database.db,
      sql`select result from scheduler_runs where function_name = 'slack-repair' and run_key = ${runDate}`,
    );
    expect(row?.result.timedOut).toBe(true);
    // Its tasks are still live: the next click is told a repair is running, and starts nothing.
    const again = await runner.start({
      runDate,
      userId: 'U0OTHER',
      answer: async (m) => void told.push(String(m.text)),
    });
    expect(again).toMatchObject({ kind: 'already', by: 'slack:U0ADMIN01' });
    await runner.stop();
  });

  it('lets one repair claim a day, and a later one take over only when the first is over', async () => {
    const now = new Date();
    const first = await claimActiveRepair(database.db, { runDate, triggeredBy: 'slack:U1', now: now });
    expect(first).toBeTypeOf('number');
    expect(
      await claimActiveRepair(database.db, { runDate, triggeredBy: 'slack:U2', now: now }),
    ).toBeUndefined();
    expect((await activeRepair(database.db, runDate))?.triggered_by).toBe('slack:U1');

    // The watcher died: nothing live after the grace period, so the claim can be taken over.
    const later = new Date(now.getTime() + 3 * 60_000);
    expect(await claimActiveRepair(database.db, { runDate, triggeredBy: 'slack:U2', now: later })).toBeTypeOf(
      'number',
    );
    expect((await activeRepair(database.db, runDate))?.triggered_by).toBe('slack:U2');

    // While its repair still has live tasks it cannot, however old.
    await nightWithFailures(deps, runDate);
    await database.db.execute(sql`
      insert into batch_jobs (id, org_id, run_date, source, status, triggered_by)
      select '00000000-0000-4000-8000-000000000001', org_id, run_date, 'repair', 'queued', 'slack:U2'
      from batch_tasks where run_date = ${runDate}::date limit 1`);
    await database.db.execute(sql`
      update batch_tasks set status = 'pending', batch_job_id = '00000000-0000-4000-8000-000000000001'
      where id = (select min(id) from batch_tasks where status = 'failed')`);
    const muchLater = new Date(now.getTime() + 60 * 60_000);
    expect(
      await claimActiveRepair(database.db, { runDate, triggeredBy: 'slack:U3', now: muchLater }),
    ).toBeUndefined();
  });
});
