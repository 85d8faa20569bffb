import { sql } from 'drizzle-orm';
import { DateTime } from 'luxon';
import { afterAll, describe, expect, it } from 'vitest';
import { LocalWebApi } from '../../src/console/local-web-api.ts';
import { openDatabase, queryRows } from '../../src/db/client.ts';
import { cliEnvironment } from '../support/cli.ts';
import { backends } from '../support/db.ts';
import { Processes } from '../support/fault-night.ts';
import { seedSmallDemo } from '../support/scheduler-deps.ts';
import { BotProcess } from '../support/spawn-bot.ts';
import { syncTestProviders, waitUntil, workerDeps } from '../support/worker-fixtures.ts';

/**
 * A Slack whose chat.postMessage stores the message and never answers, and a real `sched serve`
 * started after its postcheck's time plus 15 minutes: the start-up tick runs the late trigger,
 * the postcheck waits for the night, and the postcheck's "Late" alert goes to Slack and hangs.
 * It once held the scheduler's ticks behind it for as long as Slack hung: no reconcile, no
 * postcheck, and, when the connection finally broke, the alert posted a second time. Now the
 * postcheck is recorded on the next tick, and every message is in the channel once.
 */

const TOKEN = 'xoxb-hang-test';
const CHANNEL = 'C0REPORTS';

/** A zone where it is now between 01:00 and 22:00, so tonight's times and the test fit one day. */
function dayZone(): string {
  const zones = [
    'America/New_York',
    'Europe/London',
    'Asia/Tokyo',
    'Pacific/Auckland',
    'America/Los_Angeles',
  ];
  return zones.find((zone) => {
    const hour = DateTime.now().setZone(zone).hour;
    return hour >= 1 && hour <= 21;
  }) as string;
}

const cronAt = (time: DateTime) => `${time.minute} ${time.hour} * * *`;

describe.each(backends())('sched serve while Slack never answers a post, on $name', (backend) => {
  const processes = new Processes();
  const api = new LocalWebApi({ token: TOKEN });
  afterAll(async () => {
    processes.killAll();
    api.breakHungConnections();
    await api.stop();
  });

  it('records the postcheck on time and posts each message once', async () => {
    await api.start();
    api.faultNext('chat.postMessage', { mode: 'lose-reply' });
    const { env, close } = await cliEnvironment(backend);
    const open = () =>
      openDatabase(env.DATABASE_URL ? { url: env.DATABASE_URL } : { pgliteDir: String(env.PGLITE_DIR) });
    const seeding = await open();
    await seedSmallDemo(seeding.db);
    await syncTestProviders(workerDeps(seeding.db));
    await seeding.close();

    const zone = dayZone();
    const now = DateTime.now().setZone(zone);
    const runDate = now.toISODate() ?? '';
    const serve = processes.add(
      BotProcess.sched(['serve'], {
        ...(env as Record<string, string>),
        SLACK_BOT_TOKEN: TOKEN,
        SLACK_SIGNING_SECRET: 'hang-test-signing-secret',
        SLACK_API_URL: api.url,
        SLACK_REPORT_CHANNEL: CHANNEL,
        SLACK_TIMEOUT_MS: '2000',
        SIMULATED_PROFILE: 'ideal',
        PORT: '0',
        LOG_LEVEL: 'info',
        SCHED_TIMEZONE: zone,
        // The trigger was due 40 minutes ago, the postcheck 20: both late at start-up.
        TRIGGER_CRON: cronAt(now.minus({ minutes: 40 })),
        POSTCHECK_CRON: cronAt(now.minus({ minutes: 20 })),
        RECONCILER_CRON: '* * * * *',
        ...Object.fromEntries(
          ['OPENAI', 'ANTHROPIC', 'GEMINI', 'PERPLEXITY'].flatMap((p) => [
            [`${p}_RPM`, '1000000'],
            [`${p}_MAX_CONCURRENCY`, '64'],
          ]),
        ),
      }),
    );
    const lateAlerts = () => [...api.messages.values()].filter((m) => m.text.includes('Late'));
    const reports = () => [...api.messages.values()].filter((m) => m.text.includes('Nightly run'));
    try {
      await serve.port(180_000);
      // The postcheck's late alert reached Slack, which keeps it and never answers.
      await waitUntil(async () => lateAlerts().length > 0, 120_000, 200);
      // The night ran; a reconciler tick (every minute) records the postcheck all the same.
      await serve.waitFor(/scheduler: postcheck ran/, 200_000);
      await waitUntil(async () => reports().length > 0, 60_000, 200);
      // The alert and the report, each found in the channel after its post got no answer.
      await waitUntil(
        async () => (serve.output.match(/adopted, not posted again/g) ?? []).length >= 2,
        60_000,
        200,
      );
      // The connection breaks at last; a few seconds for anything that would post again.
      api.breakHungConnections();
      await new Promise((resolve) => setTimeout(resolve, 5_000));
      expect(lateAlerts(), serve.output.slice(-4000)).toHaveLength(1);
      expect(reports()).toHaveLength(1);
    } finally {
      (await import('node:fs')).writeFileSync('/tmp/serve-out.log', serve.output);
      // It stops on SIGTERM even with Slack hanging (a stop waits for deliveries in flight).
      serve.kill('SIGTERM');
      const stopped = await Promise.race([
        serve.exited,
        new Promise((r) => setTimeout(() => r('hung'), 90_000)),
      ]);
      serve.kill('SIGKILL');
      expect(stopped, `serve did not stop on SIGTERM:\n${serve.output.slice(-3000)}`).toBe(0);
    }
    const database = await open();
    try {
      const runs = await queryRows<{ status: string }>(
        database.db,
        sql`select status from scheduler_runs where function_name = 'scheduler-postcheck' and run_key = ${runDate}`,
      );
      expect(runs).toEqual([{ status: 'completed' }]);
      const recorded = await queryRows<{ ts: string }>(
        database.db,
        sql`select ts from slack_reports where run_date = ${runDate}::date and channel = ${CHANNEL}`,
      );
      expect(recorded).toEqual([{ ts: reports()[0]?.ts }]);
      const alerts = await queryRows<{ ts: string | null }>(
        database.db,
        sql`select ts from late_alerts where run_date = ${runDate}::date and step = 'postcheck'`,
      );
      expect(alerts).toEqual([{ ts: lateAlerts()[0]?.ts }]);
    } finally {
      await database.close();
      await close();
    }
  }, 600_000);
});
