import { DateTime } from 'luxon';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LocalWebApi } from '../../src/console/local-web-api.ts';
import { openDatabase } from '../../src/db/client.ts';
import { cliEnvironment } from '../support/cli.ts';
import { sharedBackends } from '../support/db.ts';
import { BOT_TOKEN, REPORT_CHANNEL } from '../support/fake-slack.ts';
import { installedAt } from '../support/insert-rows.ts';
import { spawnWorker } from '../support/spawn-worker.ts';
import { waitUntil } from '../support/worker-fixtures.ts';

/**
 * "Any live instance" raises the late alert: a `sched worker` process with Slack credentials, and
 * no `serve` anywhere, posts tonight's late trigger to the report channel once, and stops cleanly.
 */

/** A zone where it is now past 00:20 and before 23:00, so a midnight trigger is late today. */
function zoneWithMidnightBehind(): string {
  const zones = [
    'America/New_York',
    'Europe/London',
    'Asia/Tokyo',
    'Pacific/Auckland',
    'America/Los_Angeles',
  ];
  const zone = zones.find((z) => {
    const local = DateTime.now().setZone(z);
    return local.hour * 60 + local.minute >= 20 && local.hour < 23;
  });
  if (!zone) throw new Error('no zone with midnight safely behind');
  return zone;
}

describe.skipIf(sharedBackends().length > 0)('a worker process raising the late alert', () => {
  it.skip('needs a PostgreSQL that several processes share: set TEST_DATABASE_URL', () => undefined);
});

describe.each(sharedBackends())('a sched worker process on $name', (backend) => {
  let api: LocalWebApi;
  let cli: Awaited<ReturnType<typeof cliEnvironment>>;
  beforeAll(async () => {
    api = new LocalWebApi({ token: BOT_TOKEN });
    await api.start();
    cli = await cliEnvironment(backend);
  });
  afterAll(async () => {
    await cli?.close();
    await api?.stop();
  });

  it('posts the late trigger alert once, with no serve running', async () => {
    // Installed yesterday: today's trigger came due after the install, so it is late.
    const env = cli.env as Record<string, string>;
    const database = await openDatabase(
      env.DATABASE_URL ? { url: env.DATABASE_URL } : { pgliteDir: env.PGLITE_DIR },
    );
    await installedAt(database.db, new Date(Date.now() - 86_400_000));
    await database.close();
    const worker = spawnWorker([], {
      ...(cli.env as Record<string, string>),
      SCHED_TIMEZONE: zoneWithMidnightBehind(),
      TRIGGER_CRON: '0 0 * * *',
      POSTCHECK_CRON: '59 23 * * *',
      SLACK_BOT_TOKEN: BOT_TOKEN,
      SLACK_API_URL: api.url,
      SLACK_REPORT_CHANNEL: REPORT_CHANNEL,
      SIMULATED_PROFILE: 'ideal',
    });
    try {
      const alerts = () =>
        api.callsTo('chat.postMessage').filter((c) => String(c.body.text).includes('Late:'));
      await waitUntil(async () => alerts().length > 0, 60_000);
      expect(alerts()[0]?.body.channel).toBe(REPORT_CHANNEL);
      expect(String(alerts()[0]?.body.text)).toContain('the nightly trigger of');
    } finally {
      worker.child.kill('SIGTERM');
    }
    const exit = await worker.exited;
    expect(exit.code).toBe(0);
    expect(api.callsTo('chat.postMessage').filter((c) => String(c.body.text).includes('Late:'))).toHaveLength(
      1,
    );
  });
});
