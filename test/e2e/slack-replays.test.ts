import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ACTION_IDS, BLOCK_IDS, CALLBACK_IDS, COMMANDS, EVERY_PROVIDER } from '../../src/blocks/ids.ts';
import { encodeRepairModalMetadata } from '../../src/blocks/values.ts';
import {
  buildBlockAction,
  buildCommand,
  buildViewSubmission,
  type SlackRequest,
} from '../../src/console/sign-request.ts';
import { queryOne } from '../../src/db/client.ts';
import { createProviderAdapters } from '../../src/providers/registry.ts';
import { runReconciler } from '../../src/scheduler/reconciler.ts';
import { startWorker } from '../../src/scheduler/worker.ts';
import { FUNCTION_NAMES } from '../../src/store/scheduler-runs.ts';
import { backends, type TestDatabase } from '../support/db.ts';
import {
  ADMIN,
  OUTSIDER,
  postedFailedNight,
  REPORT_CHANNEL,
  type SlackHarness,
  startSlackHarness,
} from '../support/fake-slack.ts';
import { messageText } from '../support/slack-payloads.ts';

/**
 * A signed Slack request replayed byte for byte within Slack's five-minute window (a proxy, an
 * attacker with one captured request, a client that sends twice) acts once: the repair it starts,
 * the snooze it makes. Each later copy is acknowledged, does nothing, and says so to its sender.
 * A refused request leaves no trace, and one older than five minutes is refused outright.
 */
describe.each(backends())('replayed Slack requests on $name', (backend) => {
  let database: TestDatabase;
  let h: SlackHarness;
  let runDate: string;
  let reportTs: string;

  const count = async (query: ReturnType<typeof sql>) =>
    (await queryOne<{ n: number }>(database.db, query))?.n ?? 0;
  const repairRuns = () =>
    count(sql`select count(*)::int as n from scheduler_runs where function_name = ${FUNCTION_NAMES.repair}`);
  const repairTasks = () =>
    count(sql`select count(*)::int as n from batch_tasks t join batch_jobs j on j.id = t.batch_job_id
              where j.run_date = ${runDate}::date and j.source = 'repair'`);

  /** Sends `request` and waits for what its sender sees next: an answer to them, or the report edited. */
  const sendAndWait = async (request: SlackRequest, responseId: string) => {
    const before = h.api.calls.length;
    expect((await h.send(request)).status).toBe(200);
    return h.api.waitFor(
      (c) =>
        c.seq > before &&
        ((c.method === 'response_url' && c.responseId === responseId) ||
          (c.method === 'chat.update' && messageText(c.body).includes('Repair started by'))),
    );
  };
  /** A click on a button of the morning report; its answers go to response_url `responseId`. */
  const reportClick = (actionId: string, userId: string, responseId: string) =>
    buildBlockAction({
      actionId,
      value: runDate,
      userId,
      responseUrl: h.api.responseUrl(responseId),
      container: { channelId: REPORT_CHANNEL, messageTs: reportTs },
    });
  const everyUnit = (userId: string, privateMetadata: string) =>
    buildViewSubmission({
      callbackId: CALLBACK_IDS.repairModal,
      userId,
      privateMetadata,
      values: {
        [BLOCK_IDS.repairModalScope]: {
          [ACTION_IDS.repairModalScope]: { type: 'radio_buttons', selected_option: { value: 'all' } },
        },
        [BLOCK_IDS.repairModalProvider]: {
          [ACTION_IDS.repairModalProvider]: {
            type: 'static_select',
            selected_option: { value: EVERY_PROVIDER },
          },
        },
      },
    });
  const drainRepairs = async () => {
    const before = h.api.calls.length;
    const worker = startWorker(h.deps, {
      adapters: createProviderAdapters(h.deps.config),
      concurrency: 8,
      drain: true,
      pollIntervalMs: 20,
    });
    await worker.done;
    await h.api.waitFor(
      (c) => c.seq > before && c.method === 'chat.update' && messageText(c.body).includes('finished'),
    );
  };

  beforeAll(async () => {
    database = await backend.create();
    h = await startSlackHarness(database.db);
    ({ runDate, reportTs } = await postedFailedNight(h));
  });
  afterAll(async () => {
    await h?.stop();
    await database?.close();
  });

  it("refuses a non-admin's click, submission and command without writing anything", async () => {
    const click = reportClick(ACTION_IDS.repair, OUTSIDER, 'outsider-click');
    const snooze = buildCommand({
      command: COMMANDS.snooze,
      text: 'perplexity 2h replayed',
      userId: OUTSIDER,
      responseUrl: h.api.responseUrl('outsider-command'),
    });
    const submission = everyUnit(
      OUTSIDER,
      encodeRepairModalMetadata({
        runDate,
        message: { channel: REPORT_CHANNEL, ts: reportTs },
        responseUrl: h.api.responseUrl('outsider-submission'),
      }),
    );
    for (const [request, id] of [
      [click, 'outsider-click'],
      [click, 'outsider-click'],
      [submission, 'outsider-submission'],
      [snooze, 'outsider-command'],
    ] as const) {
      const answer = await sendAndWait(request, id);
      expect(messageText(answer.body)).toContain(`Only <@${ADMIN}>`);
    }
    expect(await count(sql`select count(*)::int as n from slack_request_claims`)).toBe(0);
    expect(await repairRuns()).toBe(0);
    expect(await count(sql`select count(*)::int as n from snoozes`)).toBe(0);
  });

  it('refuses a request signed more than five minutes ago (401), and claims nothing', async () => {
    const click = reportClick(ACTION_IDS.repair, ADMIN, 'stale');
    const stale = await h.send(click, { timestampSec: Math.floor(Date.now() / 1000) - 6 * 60 });
    expect(stale.status).toBe(401);
    expect(await count(sql`select count(*)::int as n from slack_request_claims`)).toBe(0);
    expect(await repairRuns()).toBe(0);
  });

  it('adds one repair row for 20 copies of one Repair click, and tells each later copy so', async () => {
    const click = reportClick(ACTION_IDS.repair, ADMIN, 'click');
    const first = await sendAndWait(click, 'click');
    expect(messageText(first.body)).toContain(`Repair started by <@${ADMIN}>: 67 units`);
    // The repair finishes, so nothing but the claim could stop a copy from starting another.
    await drainRepairs();
    for (let copy = 2; copy <= 20; copy += 1) {
      const answer = await sendAndWait(click, 'click');
      expect(messageText(answer.body), `copy ${copy}`).toMatch(/already handled/);
      expect(answer.body.response_type).toBe('ephemeral');
    }
    expect(await repairRuns()).toBe(1);
    expect(await repairTasks()).toBe(67);
  });

  it('starts one repair for 20 copies of one "every unit" submission', async () => {
    const open = reportClick(ACTION_IDS.repairOptions, ADMIN, 'options');
    const before = h.api.calls.length;
    expect((await h.send(open)).status).toBe(200);
    const filled = await h.api.waitFor((c) => c.method === 'views.update' && c.seq > before);
    const privateMetadata = String((filled.body.view as { private_metadata: string }).private_metadata);
    const submission = everyUnit(ADMIN, privateMetadata);
    const runsBefore = await repairRuns();
    const tasksBefore = await repairTasks();
    const first = await sendAndWait(submission, 'options');
    expect(messageText(first.body)).toContain(`Repair started by <@${ADMIN}>: 118 units`);
    await drainRepairs();
    for (let copy = 2; copy <= 20; copy += 1) {
      const answer = await sendAndWait(submission, 'options');
      expect(messageText(answer.body), `copy ${copy}`).toMatch(/already handled/);
    }
    expect(await repairRuns()).toBe(runsBefore + 1);
    expect(await repairTasks()).toBe(tasksBefore + 118);
  });

  it('makes one snooze for three copies of one /sched-snooze', async () => {
    const command = buildCommand({
      command: COMMANDS.snooze,
      text: 'perplexity 2h replayed',
      userId: ADMIN,
      responseUrl: h.api.responseUrl('snooze'),
    });
    const answers: string[] = [];
    for (let copy = 1; copy <= 3; copy += 1)
      answers.push(messageText((await sendAndWait(command, 'snooze')).body));
    expect(answers[0]).toMatch(/perplexity/);
    expect(answers.slice(1)).toEqual([
      expect.stringMatching(/already handled/),
      expect.stringMatching(/already handled/),
    ]);
    expect(await count(sql`select count(*)::int as n from snoozes`)).toBe(1);
  });

  it('lets the reconciler prune the claims once they are a day old', async () => {
    const claims = () => count(sql`select count(*)::int as n from slack_request_claims`);
    const held = await claims();
    expect(held).toBeGreaterThan(0);
    const at = (hours: number) => ({ ...h.deps, clock: () => new Date(Date.now() + hours * 3_600_000) });
    expect((await runReconciler(at(1))).slackClaimsPruned).toBe(0);
    expect(await claims()).toBe(held);
    expect((await runReconciler(at(25))).slackClaimsPruned).toBe(held);
    expect(await claims()).toBe(0);
  });
});
