import { webApi } from '@slack/bolt';
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Config } from '../../src/config.ts';
import { LocalWebApi } from '../../src/console/local-web-api.ts';
import { queryOne } from '../../src/db/client.ts';
import { silentLogger } from '../../src/logger.ts';
import { slackNightReporter } from '../../src/report/slack-night-reporter.ts';
import type { StepDeps } from '../../src/scheduler/night-reporter.ts';
import { postcheckStep } from '../../src/scheduler/postcheck-step.ts';
import { reconcile } from '../../src/scheduler/reconciler.ts';
import { followNights } from '../../src/scheduler/refresh-night.ts';
import { rerunOrg } from '../../src/scheduler/rerun.ts';
import { runTrigger } from '../../src/scheduler/trigger.ts';
import { runDateOf } from '../../src/time/business-day.ts';
import { backends, type TestDatabase } from '../support/db.ts';
import { BOT_TOKEN, harnessConfig, REPORT_CHANNEL } from '../support/fake-slack.ts';
import { completeAllLive, seedSmallDemo } from '../support/scheduler-deps.ts';
import { messageText } from '../support/slack-payloads.ts';

/**
 * One night, one set of words: two runs of one night overlap; the first to end must not post a
 * thread line quoting a figure (and a health) that the report is then edited away from.
 */
describe.each(backends())('outcome lines and the report agree on $name', (backend) => {
  let database: TestDatabase;
  let api: LocalWebApi;
  let deps: StepDeps;
  let runDate: string;

  beforeAll(async () => {
    database = await backend.create();
    api = new LocalWebApi({ token: BOT_TOKEN });
    await api.start();
    const client = new webApi.WebClient(BOT_TOKEN, { slackApiUrl: api.url, retryConfig: { retries: 0 } });
    const config: Config = harnessConfig(api.url, {});
    const base = { db: database.db, config, logger: silentLogger(), clock: () => new Date() };
    deps = { ...base, reporter: slackNightReporter({ ...base, client }, { editIntervalMs: 50 }) };
    runDate = runDateOf(new Date(), 'America/New_York');
  });
  afterAll(async () => {
    await api?.stop();
    await database?.close();
  });

  /** What a worker does after finishing a task: follow the night (re-measure, edit, announce). */
  const finishTasks = async (except: { provider?: string } = {}) => {
    await completeAllLive(deps.db, runDate, new Date(), except);
    await reconcile(deps.db, new Date());
    const nights = followNights(deps);
    nights.taskFinished({ runDate });
    await nights.settled();
  };

  it('a run that ends while another still works quotes the figure the report ends with', async () => {
    await seedSmallDemo(deps.db);
    await runTrigger(deps, { runDate, triggeredBy: 'scheduler', scheduled: true });
    // The biggest org failed on every provider: its prompts have no answer at all.
    const org = await queryOne<{ org_id: string }>(
      deps.db,
      sql`select org_id from batch_tasks where run_date = ${runDate}::date
          group by org_id order by count(*) desc limit 1`,
    );
    if (!org) throw new Error('no org');
    await deps.db.execute(
      sql`update batch_tasks set status = 'failed', attempts = max_attempts, error_class = 'server',
                 completed_at = now()
          where run_date = ${runDate}::date and org_id = ${org.org_id}::uuid`,
    );
    await finishTasks();
    const posted = await postcheckStep(deps, { runDate, triggeredBy: 'cli:test' });
    expect(posted.report.summary.overallHealth).toBe('NEEDS_ATTENTION');

    // Two reruns of that org, one per provider; the openai one ends first.
    const rerun = (provider: string, by: string) =>
      rerunOrg(deps, { orgId: org.org_id, runDate, scope: 'failed', provider, triggeredBy: by });
    expect((await rerun('openai', 'cli:first')).tasks).toBeGreaterThan(0);
    expect((await rerun('perplexity', 'cli:second')).tasks).toBeGreaterThan(0);
    await finishTasks({ provider: 'perplexity' });
    await finishTasks();

    const reportTs = (posted.published as { ts: string }).ts;
    const reportText = messageText(api.message(REPORT_CHANNEL, reportTs));
    expect(reportText).toMatch(/✅ Healthy/);
    const lines = api
      .callsTo('chat.postMessage')
      .filter((c) => c.body.thread_ts)
      .map((c) => String(c.body.text))
      .filter((text) => text.includes('The night now'));
    expect(lines).toHaveLength(2);
    for (const line of lines) expect(line).toMatch(/The night now: prompts 100%, ✅ Healthy\./);
  });
});
