import { webApi } from '@slack/bolt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { WebApiCall } from '../../src/console/local-web-api.ts';
import { buildCommand } from '../../src/console/sign-request.ts';
import { slackNightReporter } from '../../src/report/slack-night-reporter.ts';
import type { StepDeps } from '../../src/scheduler/night-reporter.ts';
import { addDays, runDateOf } from '../../src/time/business-day.ts';
import type { TestDatabase } from '../support/db.ts';
import {
  ADMIN,
  BOT_TOKEN,
  backendsAndModes,
  harnessConfig,
  nightWithFailures,
  REPORT_CHANNEL,
  type SlackHarness,
  startSlackHarness,
} from '../support/fake-slack.ts';
import { call, startOpsServer } from '../support/ops-server.ts';
import { decodePng } from '../support/png.ts';
import { messageText } from '../support/slack-payloads.ts';

/**
 * The coverage chart in Slack, end to end: `/sched-history chart` (signed over HTTP, and as a
 * Socket Mode envelope) uploads the PNG with files.uploadV2 to the channel the command came from;
 * the morning report, posted by the postcheck endpoint, gets the chart in its thread once. The
 * Web API stand-in keeps the uploaded bytes: each must decode as a PNG of the chart's size.
 */

const COMMAND_CHANNEL = 'C0COMMANDS';
const CHART_SIZE = [1600, 800];
const SECRET = 'slack-chart-cron-secret';

describe.each(backendsAndModes())('coverage chart in Slack on $name over $mode', ({ backend, mode }) => {
  let database: TestDatabase;
  let h: SlackHarness;
  let runDate: string;
  let seq = 0;

  /** Sends /sched-history with `text`; resolves with the response id to wait on. */
  async function history(text: string): Promise<string> {
    const responseId = `chart${++seq}`;
    const res = await h.send(
      buildCommand({
        command: '/sched-history',
        text,
        userId: ADMIN,
        responseUrl: h.api.responseUrl(responseId),
      }),
    );
    expect(res.status).toBe(200);
    return responseId;
  }
  const answerTo = (responseId: string) => h.api.waitFor((c) => c.responseId === responseId);
  const completions = () =>
    h.api.callsTo('files.completeUploadExternal').filter((c) => c.response.ok === true);
  const nextCompletion = (after: number) =>
    h.api.waitFor(
      (c) => c.method === 'files.completeUploadExternal' && c.seq > after && c.response.ok === true,
    );
  const lastSeq = () => h.api.calls.at(-1)?.seq ?? 0;

  function expectChartPng(bytes: Buffer | undefined) {
    const png = decodePng(bytes ?? Buffer.alloc(0));
    expect([png.width, png.height]).toEqual(CHART_SIZE);
  }

  // The harness's clock: the last test moves it past every recorded night.
  const at = { now: new Date() };

  beforeAll(async () => {
    database = await backend.create();
    h = await startSlackHarness(database.db, { mode, clock: () => new Date(at.now) });
    runDate = runDateOf(h.deps.clock(), h.deps.config.timezone);
    await nightWithFailures(h.deps, runDate);
  });
  afterAll(async () => {
    await h?.stop();
    await database?.close();
  });

  it('/sched-history chart acks first, then uploads the PNG to the channel it came from', async () => {
    const before = lastSeq();
    const release = h.api.holdMethod('files.getUploadURLExternal');
    try {
      await history('chart'); // the ack arrived while the upload is held
    } finally {
      release();
    }
    const done = await nextCompletion(before);
    expect(done.body).toMatchObject({ channel_id: COMMAND_CHANNEL });
    expect(done.body.thread_ts).toBeUndefined();
    const file = h.api.sharedFiles().at(-1);
    // The axis starts at the first recorded night, within the 30 asked for.
    expect(file).toMatchObject({ channel: COMMAND_CHANNEL });
    expect(file?.title).toMatch(/^Coverage per provider, (one night|last ([2-9]|[12]\d|30) nights)$/);
    expect(file?.filename).toMatch(new RegExp(`^coverage-\\d{4}-\\d\\d-\\d\\d-to-${runDate}\\.png$`));
    expect(String(file?.filename) >= `coverage-${addDays(runDate, -29)}`).toBe(true);
    expect(file?.altText).toContain(`${runDate}: openai`);
    expectChartPng(file?.bytes);
  });

  it('/sched-history chart 7 charts seven nights', async () => {
    const before = lastSeq();
    await history('chart 7');
    await nextCompletion(before);
    expect(h.api.sharedFiles().at(-1)?.title).toMatch(
      /^Coverage per provider, (one night|last [2-7] nights)$/,
    );
  });

  it.each([
    ['zero nights', 'chart 0'],
    ['too many nights', 'chart 91'],
    ['a word', 'chart abc'],
  ])('answers %s with one sentence and uploads nothing', async (_, text) => {
    const uploads = completions().length;
    const answer = await answerTo(await history(text));
    expect(answer.body.blocks).toHaveLength(1);
    expect(messageText(answer.body)).toContain('from 1 to 90');
    expect(completions()).toHaveLength(uploads);
  });

  it('tells the user how to get the chart when the bot is not in the channel', async () => {
    h.api.failNext('files.completeUploadExternal', { error: 'not_in_channel' });
    const answer = await answerTo(await history('chart'));
    const text = messageText(answer.body);
    expect(text).toContain('/invite @sched-bot');
    expect(text).toContain('sched history --chart');
  });

  it('the morning report gets the chart in its thread once, and a failed upload never stops the report', async () => {
    const config = harnessConfig(h.api.url, { CRON_SECRET: SECRET });
    const client = new webApi.WebClient(BOT_TOKEN, { slackApiUrl: h.api.url, retryConfig: { retries: 0 } });
    const base = { db: database.db, config, logger: h.deps.logger, clock: h.deps.clock };
    const deps: StepDeps = { ...base, reporter: slackNightReporter({ ...base, client }) };
    const server = await startOpsServer(deps, { reporter: deps.reporter });
    try {
      const before = lastSeq();
      const first = await call(`${server.url}/functions/v1/scheduler-postcheck`, { secret: SECRET });
      expect(first.status).toBe(200);
      const posted = h.api.callsTo('chat.postMessage').find((c) => c.body.channel === REPORT_CHANNEL);
      const ts = String(posted?.response.ts);
      const done = await nextCompletion(before);
      expect(done.body).toMatchObject({ channel_id: REPORT_CHANNEL, thread_ts: ts });
      const file = h.api.sharedFiles().at(-1);
      expect(file).toMatchObject({ channel: REPORT_CHANNEL, threadTs: ts });
      expectChartPng(file?.bytes);

      // A later postcheck edits the report and uploads nothing more.
      const uploads = completions().length;
      const again = await call(`${server.url}/functions/v1/scheduler-postcheck`, { secret: SECRET });
      expect(again.status).toBe(200);
      expect(h.api.callsTo('chat.update').some((c: WebApiCall) => c.body.ts === ts)).toBe(true);
      expect(completions()).toHaveLength(uploads);

      // Another night's first report, with Slack refusing the upload: the report is posted all the same.
      h.api.failNext('files.getUploadURLExternal', { error: 'missing_scope' });
      const yesterday = addDays(runDate, -1);
      const outcome = await deps.reporter?.publish(
        yesterday,
        (await nightWithFailures(h.deps, yesterday)).report,
      );
      expect(outcome).toMatchObject({ action: 'posted', channel: REPORT_CHANNEL });
      expect(completions()).toHaveLength(uploads);
    } finally {
      await server.close();
    }
  });

  it('says there is nothing to chart when no night of the window has a postcheck, and uploads nothing', async () => {
    const uploads = h.api.callsTo('files.getUploadURLExternal').length;
    at.now = new Date(at.now.getTime() + 100 * 86_400_000);
    try {
      const answer = await answerTo(await history('chart'));
      expect(messageText(answer.body)).toContain('No postcheck recorded in the last 30 nights');
    } finally {
      at.now = new Date();
    }
    expect(h.api.callsTo('files.getUploadURLExternal')).toHaveLength(uploads);
  });
});
