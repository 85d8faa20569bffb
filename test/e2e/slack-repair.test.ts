import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ACTION_IDS } from '../../src/blocks/ids.ts';
import { buildBlockAction } from '../../src/console/sign-request.ts';
import { queryOne } from '../../src/db/client.ts';
import { createProviderAdapters } from '../../src/providers/registry.ts';
import { startWorker } from '../../src/scheduler/worker.ts';
import { ACTIVE_REPAIR_FUNCTION } from '../../src/store/scheduler-runs.ts';
import type { TestDatabase } from '../support/db.ts';
import {
  ADMIN,
  backendsAndModes,
  GROUP_ADMIN,
  OUTSIDER,
  postedFailedNight,
  REPORT_CHANNEL,
  type SlackHarness,
  startSlackHarness,
} from '../support/fake-slack.ts';
import { actionIds, messageText } from '../support/slack-payloads.ts';

/**
 * The "done when", driven only through signed HTTP requests (or the same
 * requests as Socket Mode envelopes) and the Web API stand-in:
 * after a night with failures the report is posted with the missing prompts per org; a
 * non-admin's Repair click changes nothing; an admin's click brings the same message (same ts,
 * chat.update) to 100 % coverage; a second click and Slack's retry start nothing.
 */
describe.each(backendsAndModes())('Repair from the report on $name over $mode', ({ backend, mode }) => {
  let database: TestDatabase;
  let h: SlackHarness;
  let runDate: string;
  let reportTs: string;

  const repairJobs = async () =>
    (
      await queryOne<{ jobs: number; tasks: number }>(
        database.db,
        sql`select count(distinct j.id)::int as jobs, count(t.id)::int as tasks
            from batch_jobs j left join batch_tasks t on t.batch_job_id = j.id
            where j.run_date = ${runDate}::date and j.source = 'repair'`,
      )
    )?.tasks ?? 0;

  const click = (userId: string, responseUrl: string) =>
    buildBlockAction({
      actionId: ACTION_IDS.repair,
      value: runDate,
      userId,
      responseUrl,
      container: { channelId: REPORT_CHANNEL, messageTs: reportTs },
    });

  beforeAll(async () => {
    database = await backend.create();
    h = await startSlackHarness(database.db, { mode });
    ({ runDate, reportTs } = await postedFailedNight(h));
  });
  afterAll(async () => {
    await h?.stop();
    await database?.close();
  });

  it('posts the morning report with the missing prompts per org', async () => {
    const [post] = h.api.callsTo('chat.postMessage');
    expect(post?.body.channel).toBe(REPORT_CHANNEL);
    const text = messageText(post?.body);
    expect(text).toContain('Acme Analytics');
    expect(text).toContain('25 prompts not fully covered');
    expect(text).toMatch(/perplexity.*rate limited/);
    expect(text).toContain('51/118');
    const row = await queryOne<{ ts: string }>(
      database.db,
      sql`select ts from slack_reports where run_date = ${runDate}::date and channel = ${REPORT_CHANNEL}`,
    );
    expect(row?.ts).toBe(reportTs);
  });

  it("refuses a non-admin's click with one sentence and changes nothing", async () => {
    const before = h.api.calls.length;
    const url = h.api.responseUrl();
    const res = await h.send(click(OUTSIDER, url));
    expect(res.status).toBe(200);
    const answer = await h.api.waitFor((c) => c.method === 'response_url' && c.body && c.seq > before);
    expect(answer.body.response_type).toBe('ephemeral');
    expect(messageText(answer.body)).toContain(`Only <@${ADMIN}>`);
    expect(h.api.calls.slice(before).map((c) => c.method)).toEqual(['usergroups.users.list', 'response_url']);
    expect(await repairJobs()).toBe(0);
    const claim = await queryOne(
      database.db,
      sql`select 1 as one from scheduler_runs where function_name = ${ACTIVE_REPAIR_FUNCTION}`,
    );
    expect(claim).toBeUndefined();
    expect(h.api.message(REPORT_CHANNEL, reportTs)?.edits).toBe(0);
  });

  it("starts one repair for two simultaneous admin clicks, and Slack's retry starts nothing", async () => {
    const first = h.api.responseUrl('first');
    const second = h.api.responseUrl('second');
    const [a, b] = await Promise.all([h.send(click(ADMIN, first)), h.send(click(GROUP_ADMIN, second))]);
    // Both acks are back; no worker runs yet, so the repair cannot have finished before its ack.
    expect([a.status, b.status]).toEqual([200, 200]);

    const started = await h.api.waitFor(
      (c) => c.method === 'chat.update' && messageText(c.body).includes('Repair started by'),
    );
    expect(started.body.ts).toBe(reportTs);
    const already = await h.api.waitFor(
      (c) => c.method === 'response_url' && /already running/.test(messageText(c.body)),
    );
    const winner = already.responseId === 'second' ? ADMIN : GROUP_ADMIN;
    expect(messageText(started.body)).toContain(`Repair started by <@${winner}>: 67 units`);
    expect(messageText(already.body)).toContain(`started by <@${winner}>`);
    expect(await repairJobs()).toBe(67);

    const retry = h.api.responseUrl('retry');
    expect((await h.send(click(winner, retry), { retryNum: 1 })).status).toBe(200);
    const retried = await h.api.waitFor((c) => c.responseId === 'retry');
    expect(messageText(retried.body)).toMatch(/already running, started by <@U0/);
    expect(await repairJobs()).toBe(67);
  });

  it('brings the same message to 100 % coverage once a worker has run the repair', async () => {
    const worker = startWorker(h.deps, {
      adapters: createProviderAdapters(h.deps.config),
      concurrency: 8,
      drain: true,
      pollIntervalMs: 20,
    });
    const summary = await worker.done;
    expect(summary.succeeded).toBe(67);

    const finished = await h.api.waitFor(
      (c) => c.method === 'chat.update' && messageText(c.body).includes('finished'),
    );
    expect(finished.body.ts).toBe(reportTs);
    expect(h.api.callsTo('chat.postMessage')).toHaveLength(1);
    const stored = h.api.message(REPORT_CHANNEL, reportTs);
    const final = messageText(stored);
    expect(final).toContain('Units (prompt × provider)*\n100% (118/118)');
    expect(final).toContain('Healthy');
    expect(actionIds(stored)).not.toContain(ACTION_IDS.repair);

    const claim = await queryOne<{ status: string }>(
      database.db,
      sql`select status from scheduler_runs where function_name = ${ACTIVE_REPAIR_FUNCTION} and run_key = ${runDate}`,
    );
    expect(claim?.status).toBe('completed');
  });
});
