import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { webApi } from '@slack/bolt';
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { shortRunDateLabel } from '../../src/blocks/format.ts';
import { ACTION_IDS } from '../../src/blocks/ids.ts';
import type { Config } from '../../src/config.ts';
import { LocalWebApi } from '../../src/console/local-web-api.ts';
import { type Db, openDatabase, queryRows } from '../../src/db/client.ts';
import { migrateDatabase } from '../../src/db/migrate.ts';
import { silentLogger } from '../../src/logger.ts';
import { closeJobs } from '../../src/queue/close-jobs.ts';
import { slackNightReporter } from '../../src/report/slack-night-reporter.ts';
import { getNight, listHistory } from '../../src/scheduler/history.ts';
import type { StepDeps } from '../../src/scheduler/night-reporter.ts';
import { describePublished, postcheckStep } from '../../src/scheduler/postcheck-step.ts';
import { reconcile } from '../../src/scheduler/reconciler.ts';
import { followNights } from '../../src/scheduler/refresh-night.ts';
import { rerunOrg } from '../../src/scheduler/rerun.ts';
import { schedulerTick } from '../../src/scheduler/scheduler-tick.ts';
import { runTrigger } from '../../src/scheduler/trigger.ts';
import { startWorker } from '../../src/scheduler/worker.ts';
import { runDateOf } from '../../src/time/business-day.ts';
import { cliEnvironment, sched } from '../support/cli.ts';
import { backends, sharedBackends, type TestDatabase, truncateAll } from '../support/db.ts';
import { BOT_TOKEN, harnessConfig, REPORT_CHANNEL } from '../support/fake-slack.ts';
import { call, startOpsServer } from '../support/ops-server.ts';
import { completeAllLive, seedSmallDemo } from '../support/scheduler-deps.ts';
import { actionIds, messageText } from '../support/slack-payloads.ts';
import { simulatedAdapters } from '../support/worker-fixtures.ts';

const SECRET = 'report-steps-cron-secret';
/** Both daily steps due from midnight, so a tick at any time of the test day runs them. */
const STEP_ENV = { CRON_SECRET: SECRET, TRIGGER_CRON: '0 0 * * *', POSTCHECK_CRON: '0 0 * * *' };
const ROOT = fileURLToPath(new URL('../..', import.meta.url));

/** The night at postcheck time: perplexity failed for good, everything else answered. */
async function nightToCheck(deps: StepDeps, runDate: string, options: { leaveLive?: boolean } = {}) {
  await seedSmallDemo(deps.db);
  await runTrigger(deps, { runDate, triggeredBy: 'scheduler', scheduled: true });
  const at = deps.clock().toISOString();
  await deps.db.execute(sql`
    update batch_tasks set status = 'failed', attempts = max_attempts, completed_at = ${at}::timestamptz,
           error_class = 'server', last_error = '502 Bad Gateway'
    where run_date = ${runDate}::date and provider = 'perplexity'`);
  if (!options.leaveLive) await completeAllLive(deps.db, runDate, deps.clock(), {});
  await reconcile(deps.db, deps.clock());
}

/** Workers of this process run every live task; the one that ends the night refreshes it. */
async function runWorkers(deps: StepDeps) {
  const nights = followNights(deps);
  const worker = startWorker(deps, {
    adapters: simulatedAdapters('ideal'),
    concurrency: 8,
    drain: true,
    pollIntervalMs: 20,
    onTaskFinished: nights.taskFinished,
  });
  await worker.done;
  await nights.settled();
}

describe.each(backends())('report steps on $name', (backend) => {
  let database: TestDatabase;
  let api: LocalWebApi;
  let client: webApi.WebClient;
  let runDate: string;

  const depsWith = (env: Record<string, string> = {}): StepDeps => {
    const config: Config = harnessConfig(api.url, { ...STEP_ENV, ...env });
    const base = { db: database.db, config, logger: silentLogger(), clock: () => new Date() };
    return { ...base, reporter: slackNightReporter({ ...base, client }, { editIntervalMs: 200 }) };
  };
  // The report's messages only: the chart uploaded in its thread is checked in slack-chart.test.ts.
  const methods = () => api.calls.map((c) => c.method).filter((m) => m.startsWith('chat.'));
  const reportText = () => messageText([...api.messages.values()].find((m) => m.channel === REPORT_CHANNEL));
  const reportActions = () => actionIds([...api.messages.values()].find((m) => m.channel === REPORT_CHANNEL));

  beforeAll(async () => {
    database = await backend.create();
    api = new LocalWebApi({ token: BOT_TOKEN });
    await api.start();
    client = new webApi.WebClient(BOT_TOKEN, { slackApiUrl: api.url, retryConfig: { retries: 0 } });
    runDate = runDateOf(new Date(), 'America/New_York');
  });
  beforeEach(async () => {
    await truncateAll(database);
    api.calls.length = 0;
    api.messages.clear();
  });
  afterAll(async () => {
    await api?.stop();
    await database?.close();
  });

  it('ten concurrent postchecks over HTTP post one report and edit it', async () => {
    const deps = depsWith();
    await nightToCheck(deps, runDate);
    const server = await startOpsServer(deps, { reporter: deps.reporter });
    try {
      const url = `${server.url}/functions/v1/scheduler-postcheck`;
      const answers = await Promise.all(Array.from({ length: 10 }, () => call(url, { secret: SECRET })));
      expect(answers.map((a) => a.status)).toEqual(Array(10).fill(200));
    } finally {
      await server.close();
    }
    expect(methods().filter((m) => m === 'chat.postMessage')).toHaveLength(1);
    expect(methods().filter((m) => m === 'chat.update')).toHaveLength(9);
  });

  it('AUTO_REPAIR: the report shows the repair, and the worker that ends it edits report and history', async () => {
    const deps = depsWith({ AUTO_REPAIR: 'true' });
    await nightToCheck(deps, runDate);
    const tick = await schedulerTick(deps, { now: new Date() });
    expect(tick).toMatchObject({ postcheck: 'ran', autoRepair: 'ran' });
    expect(methods()).toEqual(['chat.postMessage']);
    expect(reportText()).toMatch(/Repair started by/);
    expect(reportActions()).not.toContain(ACTION_IDS.repair);

    await runWorkers(deps);
    // The report is edited with the final figure, and the repair's outcome goes in its thread.
    expect(methods().filter((m) => m === 'chat.postMessage')).toHaveLength(2);
    expect(methods()).toContain('chat.update');
    const [report, outcomePost] = api.callsTo('chat.postMessage');
    const outcome = outcomePost?.body;
    expect(outcome?.thread_ts).toBe(report?.response.ts);
    expect(String(outcome?.text)).toMatch(
      /^✅ Repair for .* \(missing units\), asked by `auto-repair`, finished: 42 of 42 units answered\. The night now: prompts 100%, /,
    );
    expect(reportText()).toMatch(/Repair by .* finished/);
    expect(reportText()).toMatch(/prompts 100%/);
    const [night] = await listHistory(deps.db, { days: 1, now: new Date(), timezone: deps.config.timezone });
    expect(night?.promptCoverage?.percent).toBe(100);
    expect(night?.repairs).toEqual({ count: 1, by: ['auto-repair'] });
  });

  it('a rerun posts its outcome once, in the thread of the report, or to the asker when there is none', async () => {
    const deps = depsWith();
    await nightToCheck(deps, runDate);
    const [org] = await queryRows<{ id: string; name: string }>(
      deps.db,
      sql`select o.id, o.name from organizations o
          where exists (select 1 from batch_tasks t where t.org_id = o.id and t.status = 'failed')
          order by o.name limit 1`,
    );
    if (!org) throw new Error('the night has no failed org');
    // Before any report: the outcome goes to the asker directly.
    const early = await rerunOrg(deps, {
      orgId: org.id,
      runDate,
      scope: 'failed',
      provider: 'perplexity',
      triggeredBy: 'slack:U0ASKER1',
    });
    expect(early.tasks).toBeGreaterThan(0);
    await runWorkers(deps);
    const direct = api.callsTo('chat.postMessage');
    expect(direct).toHaveLength(1);
    expect(direct[0]?.body.channel).toBe('U0ASKER1');
    expect(String(direct[0]?.body.text)).toContain(
      `Rerun of *${org.name}* for ${shortRunDateLabel(runDate)} (failed units only, perplexity only), asked by <@U0ASKER1>, finished: ${early.tasks} of ${early.tasks} units answered.`,
    );

    // With the report posted: a rerun of every unit answers in its thread, once.
    const posted = await postcheckStep(deps, { runDate, triggeredBy: 'cli:test' });
    const reportTs = (posted.published as { ts: string }).ts;
    const all = await rerunOrg(deps, { orgId: org.id, runDate, scope: 'all', triggeredBy: 'cli:dana' });
    api.calls.length = 0;
    await runWorkers(deps);
    const threaded = api.callsTo('chat.postMessage');
    expect(threaded).toHaveLength(1);
    expect(threaded[0]?.body).toMatchObject({ channel: REPORT_CHANNEL, thread_ts: reportTs });
    expect(String(threaded[0]?.body.text)).toMatch(
      new RegExp(
        `\\(every expected unit\\), asked by \`cli:dana\`, finished: ${all.tasks} of ${all.tasks} units answered\\. The night now: prompts`,
      ),
    );
    // Another pass over the finished night posts nothing more: the outcome was claimed once.
    await runWorkers(deps);
    expect(api.callsTo('chat.postMessage')).toHaveLength(1);
    const run = await queryRows<{ done: number }>(
      deps.db,
      sql`select (result->>'done')::int as done from scheduler_runs where function_name = 'rerun' and result ? 'finishedAt'`,
    );
    expect(run.map((r) => r.done).sort()).toEqual([early.tasks, all.tasks].sort());
  });

  it('a postcheck taken while tasks run is re-measured when the last one ends', async () => {
    const deps = depsWith();
    await nightToCheck(deps, runDate, { leaveLive: true });
    const first = await postcheckStep(deps, { runDate, triggeredBy: 'cli:test' });
    expect(first.published?.action).toBe('posted');
    const before = (
      await listHistory(deps.db, { days: 1, now: new Date(), timezone: deps.config.timezone })
    )[0];
    await runWorkers(deps);
    const after = (
      await listHistory(deps.db, { days: 1, now: new Date(), timezone: deps.config.timezone })
    )[0];
    expect(after?.promptCoverage?.percent).toBeGreaterThan(before?.promptCoverage?.percent ?? 100);
    expect(methods()).toEqual(['chat.postMessage', 'chat.update']);
    expect(reportText()).toContain(`Prompts ${after?.promptCoverage?.percent}%`);
  });

  // Found by the night simulator on PostgreSQL: a worker closes a finished task's job after the
  // task's completion has committed. A follower that measured in between found the org missing,
  // called the night re-measured, and never measured it again once the job closed.
  it('a night whose jobs close after its last tasks end is re-measured with every org found', async () => {
    const deps = depsWith();
    await nightToCheck(deps, runDate, { leaveLive: true });
    await postcheckStep(deps, { runDate, triggeredBy: 'cli:test' });
    const nights = followNights(deps);
    // The last tasks end, their jobs still open: the follower hears of it before the close commits.
    await completeAllLive(deps.db, runDate, deps.clock());
    nights.taskFinished({ runDate });
    await nights.settled();
    // The jobs close, and the worker that closed them tells the follower again.
    await closeJobs(deps.db, { now: deps.clock() });
    nights.taskFinished({ runDate });
    await nights.settled();
    const night = await getNight(deps.db, runDate);
    expect(night?.orgCoverage.missing).toBe(0);
    expect(reportText()).toContain(
      `orgs 100% (${night?.orgCoverage.expected}/${night?.orgCoverage.expected})`,
    );
  });

  it('posts a fresh report when the recorded message is gone, records its ts and says so', async () => {
    const deps = depsWith();
    await nightToCheck(deps, runDate);
    const first = await postcheckStep(deps, { runDate, triggeredBy: 'console' });
    api.messages.clear(); // what a console restart does to the local Slack
    const second = await postcheckStep(deps, { runDate, triggeredBy: 'console' });
    expect(second.published).toMatchObject({
      action: 'reposted',
      gone: (first.published as { ts: string }).ts,
    });
    expect(describePublished(second.published)).toMatch(/no longer exists: posted a fresh report/);
    const rows = await queryRows<{ ts: string }>(deps.db, sql`select ts from slack_reports`);
    expect(rows).toEqual([{ ts: (second.published as { ts: string }).ts }]);
  });

  it('runs the postcheck the same way from the scheduler tick, the HTTP endpoint and the CLI', async () => {
    const outcomes: unknown[] = [];
    const observe = async (db: Db) => ({
      slack: methods(),
      runs: await queryRows(
        db,
        sql`select function_name, status from scheduler_runs order by function_name, status`,
      ),
      reports: await queryRows(
        db,
        sql`select channel, ts is not null as posted, claimed_at is null as settled from slack_reports`,
      ),
    });
    const reset = async () => {
      api.calls.length = 0;
      api.messages.clear();
    };

    const deps = depsWith({ AUTO_REPAIR: 'true' });
    await nightToCheck(deps, runDate);
    await reset();
    await schedulerTick(deps, { now: new Date() });
    outcomes.push(await observe(deps.db));

    await truncateAll(database);
    await nightToCheck(deps, runDate);
    await reset();
    const server = await startOpsServer(deps, { reporter: deps.reporter });
    await call(`${server.url}/functions/v1/scheduler-postcheck`, { secret: SECRET });
    await server.close();
    outcomes.push(await observe(deps.db));

    const slackEnv = {
      SLACK_BOT_TOKEN: BOT_TOKEN,
      SLACK_SIGNING_SECRET: 'cli-signing-secret',
      SLACK_API_URL: api.url,
      SLACK_REPORT_CHANNEL: REPORT_CHANNEL,
      SIMULATED_PROFILE: 'ideal',
      AUTO_REPAIR: 'true',
    };
    const cli = await cliEnvironment(backend, slackEnv);
    try {
      const own = await openDatabase({ url: cli.env.DATABASE_URL, pgliteDir: String(cli.env.PGLITE_DIR) });
      await migrateDatabase(own);
      await nightToCheck({ ...deps, db: own.db }, runDate);
      await own.close();
      await reset();
      const out = await sched(['postcheck'], cli.env);
      expect(out.code).toBe(0);
      expect(out.stdout).toMatch(/Morning report posted to/);
      const again = await openDatabase({ url: cli.env.DATABASE_URL, pgliteDir: String(cli.env.PGLITE_DIR) });
      outcomes.push(await observe(again.db));
      await again.close();
    } finally {
      await cli.close();
    }
    expect(outcomes[0]).toMatchObject({ slack: ['chat.postMessage'] });
    expect(outcomes[1]).toEqual(outcomes[0]);
    expect(outcomes[2]).toEqual(outcomes[0]);
  });

  it('a CLI postcheck without Slack credentials says once that it posted nothing', async () => {
    const cli = await cliEnvironment(backend, { SIMULATED_PROFILE: 'ideal' });
    try {
      const out = await sched(['postcheck'], cli.env);
      expect(out.code).toBe(0);
      expect(out.stdout.match(/Nothing posted to Slack: no Slack credentials/g)).toHaveLength(1);
    } finally {
      await cli.close();
    }
  });
});

describe.each(sharedBackends())('concurrent postcheck processes on $name', (backend) => {
  let database: TestDatabase;
  let api: LocalWebApi;
  beforeAll(async () => {
    database = await backend.create();
    api = new LocalWebApi({ token: BOT_TOKEN });
    await api.start();
  });
  afterAll(async () => {
    await api?.stop();
    await database?.close();
  });

  it('ten `sched postcheck` processes post one report and edit it', async () => {
    const config = harnessConfig(api.url, STEP_ENV);
    const deps = { db: database.db, config, logger: silentLogger(), clock: () => new Date() };
    const runDate = runDateOf(new Date(), config.timezone);
    await nightToCheck(deps, runDate);
    const env = {
      PATH: process.env.PATH ?? '',
      HOME: process.env.HOME ?? '',
      LOG_LEVEL: 'warn',
      DATABASE_URL: String(database.url),
      SLACK_BOT_TOKEN: BOT_TOKEN,
      SLACK_SIGNING_SECRET: 'cli-signing-secret',
      SLACK_API_URL: api.url,
      SLACK_REPORT_CHANNEL: REPORT_CHANNEL,
      SIMULATED_PROFILE: 'ideal',
    };
    const codes = await Promise.all(
      Array.from(
        { length: 10 },
        () =>
          new Promise<number | null>((resolve) => {
            const child = spawn(process.execPath, ['bin/sched.js', 'postcheck'], {
              cwd: ROOT,
              env,
              stdio: 'ignore',
            });
            child.on('exit', (code) => resolve(code));
          }),
      ),
    );
    expect(codes).toEqual(Array(10).fill(0));
    const methods = api.calls.map((c) => c.method);
    expect(methods.filter((m) => m === 'chat.postMessage')).toHaveLength(1);
    expect(methods.filter((m) => m === 'chat.update')).toHaveLength(9);
  }, 400_000);
});
