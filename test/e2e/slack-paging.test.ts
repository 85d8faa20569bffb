import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ACTION_IDS } from '../../src/blocks/ids.ts';
import { buildBlockAction, buildCommand } from '../../src/console/sign-request.ts';
import { createProviderAdapters } from '../../src/providers/registry.ts';
import { slackNightReporter } from '../../src/report/slack-night-reporter.ts';
import type { StepDeps } from '../../src/scheduler/night-reporter.ts';
import { postcheckStep } from '../../src/scheduler/postcheck-step.ts';
import { reconcile } from '../../src/scheduler/reconciler.ts';
import { runTrigger } from '../../src/scheduler/trigger.ts';
import { startWorker } from '../../src/scheduler/worker.ts';
import { recordedReport } from '../../src/store/slack-reports.ts';
import { addDays, runDateOf } from '../../src/time/business-day.ts';
import type { TestDatabase } from '../support/db.ts';
import { type FakePagerDuty, startFakePagerDuty } from '../support/fake-pagerduty.ts';
import {
  ADMIN,
  backendsAndModes,
  nightWithFailures,
  REPORT_CHANNEL,
  type SlackHarness,
  startSlackHarness,
} from '../support/fake-slack.ts';
import { completeAllLive } from '../support/scheduler-deps.ts';
import { messageText } from '../support/slack-payloads.ts';

const ONCALL_GROUP = 'S0ONCALL';
const ROUTING_KEY = 'e2eR0UT1NGKEY0123456789abcdefABC';

/**
 * Paging and cost end to end: the postcheck posts the report and mentions SLACK_ONCALL once in
 * its thread and triggers PagerDuty once, however many postchecks run; /sched-status (a signed
 * command) shows the night's cost and the Repair confirm its estimate; an admin's signed Repair
 * click brings the night to healthy, which edits the report, mentions nobody again and resolves
 * the PagerDuty alert.
 */
describe.each(backendsAndModes())('paging and cost on $name over $mode', ({ backend, mode }) => {
  let database: TestDatabase;
  let h: SlackHarness;
  let pd: FakePagerDuty;
  let runDate: string;
  let steps: StepDeps;

  const threadReplies = () => h.api.callsTo('chat.postMessage').filter((c) => c.body.thread_ts);
  const reports = () => h.api.callsTo('chat.postMessage').filter((c) => !c.body.thread_ts);

  beforeAll(async () => {
    database = await backend.create();
    pd = await startFakePagerDuty();
    h = await startSlackHarness(database.db, {
      mode,
      env: {
        SLACK_ONCALL: ONCALL_GROUP,
        PAGERDUTY_ROUTING_KEY: ROUTING_KEY,
        PAGERDUTY_EVENTS_URL: pd.url,
        // The simulated providers enforce RPM: the repair need not wait out perplexity's 50.
        PERPLEXITY_RPM: '6000',
        OPENAI_RPM: '6000',
      },
    });
    runDate = runDateOf(h.deps.clock(), h.deps.config.timezone);
    await nightWithFailures(h.deps, runDate);
    steps = {
      ...h.slack.deps,
      reporter: slackNightReporter({ ...h.slack.deps, client: h.slack.app.client }),
    };
  });
  afterAll(async () => {
    await h?.stop();
    await pd?.close();
    await database?.close();
  });

  it('mentions the on-call once in the report thread and triggers PagerDuty once', async () => {
    const results = await Promise.all(
      [1, 2].map(() => postcheckStep(steps, { runDate, triggeredBy: 'scheduler' })),
    );
    expect(results.every((r) => r.report.summary.overallHealth === 'NEEDS_ATTENTION')).toBe(true);
    const [report] = reports();
    expect(reports()).toHaveLength(1);
    const replies = threadReplies();
    expect(replies).toHaveLength(1);
    expect(replies[0]?.body.channel).toBe(REPORT_CHANNEL);
    expect(replies[0]?.body.thread_ts).toBe(
      h.api.message(REPORT_CHANNEL, String(replies[0]?.body.thread_ts))?.ts,
    );
    expect(messageText(replies[0]?.body)).toContain(`<!subteam^${ONCALL_GROUP}> the night of`);
    expect(messageText(replies[0]?.body)).toContain('67 units missing');
    // The report itself mentions nobody: its edits must not look like new pages.
    expect(messageText(report?.body)).not.toContain(ONCALL_GROUP);
    expect(pd.accepted().map((e) => [e.event_action, e.dedup_key])).toEqual([
      ['trigger', `sched-bot-${runDate}`],
    ]);
    // Another postcheck of the night edits the report and pages nobody.
    await postcheckStep(steps, { runDate, triggeredBy: 'cli' });
    expect(threadReplies()).toHaveLength(1);
    expect(pd.events).toHaveLength(1);
  });

  it("shows the night's cost in /sched-status and the estimate in its Repair confirm", async () => {
    const responseUrl = h.api.responseUrl('status');
    const res = await h.send(
      buildCommand({ command: '/sched-status', text: '', userId: ADMIN, responseUrl }),
    );
    expect(res.status).toBe(200);
    const answer = await h.api.waitFor((c) => c.responseId === 'status');
    const text = messageText(answer.body);
    // nightWithFailures: 51 answered units (openai, anthropic, gemini) and the 67 failures stored none.
    expect(text).toMatch(
      /💵 \*Night's cost\*: 51 calls · [\d.,k]+ tokens in \/ [\d.,k]+ out · (\$\d+\.\d\d|<\$0\.01)/,
    );
    expect(JSON.stringify(answer.body)).toMatch(/Estimated cost ≈ (\$\d+\.\d\d|<\$0\.01)/);
  });

  it('brings the night to healthy from a signed Repair click: no new mention, PagerDuty resolved', async () => {
    const reportTs = String((await recordedReport(database.db, { runDate, channel: REPORT_CHANNEL }))?.ts);
    const click = buildBlockAction({
      actionId: ACTION_IDS.repair,
      value: runDate,
      userId: ADMIN,
      responseUrl: h.api.responseUrl('repair'),
      container: { channelId: REPORT_CHANNEL, messageTs: reportTs },
    });
    expect((await h.send(click)).status).toBe(200);
    await h.api.waitFor(
      (c) => c.method === 'chat.update' && messageText(c.body).includes('Repair started by'),
    );
    const worker = startWorker(h.deps, {
      adapters: createProviderAdapters(h.deps.config),
      concurrency: 8,
      drain: true,
      pollIntervalMs: 20,
    });
    expect((await worker.done).succeeded).toBe(67);
    const finished = await h.api.waitFor(
      (c) => c.method === 'chat.update' && messageText(c.body).includes('finished'),
    );
    expect(messageText(finished.body)).toContain('Healthy');
    expect(threadReplies()).toHaveLength(1);
    expect(pd.accepted().map((e) => [e.event_action, e.dedup_key])).toEqual([
      ['trigger', `sched-bot-${runDate}`],
      ['resolve', `sched-bot-${runDate}`],
    ]);
  });

  it('mentions nobody and pages nobody for a healthy night', async () => {
    const healthy = addDays(runDate, -1);
    await runTrigger(h.deps, { runDate: healthy, triggeredBy: 'scheduler', scheduled: true });
    await completeAllLive(database.db, healthy, h.deps.clock());
    await reconcile(database.db, h.deps.clock());
    const before = { replies: threadReplies().length, reports: reports().length, events: pd.events.length };
    const result = await postcheckStep(steps, { runDate: healthy, triggeredBy: 'scheduler' });
    expect(result.report.summary.overallHealth).toBe('HEALTHY');
    expect(reports()).toHaveLength(before.reports + 1);
    expect(JSON.stringify(reports().at(-1)?.body)).not.toContain(ONCALL_GROUP);
    expect(threadReplies()).toHaveLength(before.replies);
    expect(pd.events).toHaveLength(before.events);
  });
});
