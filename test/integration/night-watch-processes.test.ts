import { sql } from 'drizzle-orm';
import { DateTime } from 'luxon';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LocalWebApi } from '../../src/console/local-web-api.ts';
import { queryOne, queryRows } from '../../src/db/client.ts';
import { runTrigger } from '../../src/scheduler/trigger.ts';
import { runDateOf } from '../../src/time/business-day.ts';
import { sharedBackends, type TestDatabase } from '../support/db.ts';
import {
  closeFakeProviders,
  type FakeProviders,
  fakeProviderEnv,
  startFakeProviders,
} from '../support/fake-providers/index.ts';
import { BOT_TOKEN, REPORT_CHANNEL } from '../support/fake-slack.ts';
import { seedSmallDemo } from '../support/scheduler-deps.ts';
import { spawnWorker } from '../support/spawn-worker.ts';
import { syncTestProviders, waitUntil, workerDeps } from '../support/worker-fixtures.ts';

/**
 * A night on real processes: a `sched worker` process calls the providers' loopback fakes
 * through their SDKs and watches the night (NIGHT_WATCH_INTERVAL_SECONDS=1). Perplexity answers
 * well, then 500 for a while, then well again: the report channel gets exactly one early warning
 * for it, before the postcheck, and that message is edited to say it recovered.
 */

/** A zone where the day has well over an hour left, so the 23:59 postcheck is ahead all along. */
function zoneWithEveningAhead(): string {
  const zones = [
    'America/New_York',
    'Europe/London',
    'Asia/Tokyo',
    'Pacific/Auckland',
    'America/Los_Angeles',
  ];
  const zone = zones.find((z) => DateTime.now().setZone(z).hour < 22);
  if (!zone) throw new Error('no zone with the evening ahead');
  return zone;
}

describe.skipIf(sharedBackends().length > 0)('the night watch in a worker process', () => {
  it.skip('needs a PostgreSQL that several processes share: set TEST_DATABASE_URL', () => undefined);
});

describe.each(sharedBackends())('the night watch in a worker process on $name', (backend) => {
  let database: TestDatabase;
  let fakes: FakeProviders;
  let api: LocalWebApi;

  beforeAll(async () => {
    database = await backend.create();
    fakes = await startFakeProviders();
    api = new LocalWebApi({ token: BOT_TOKEN });
    await api.start();
  });
  afterAll(async () => {
    await api?.stop();
    await closeFakeProviders(fakes);
    await database?.close();
  });

  it('a provider failing mid-night gets one warning, edited when it recovers', async () => {
    const zone = zoneWithEveningAhead();
    const env = {
      ...fakeProviderEnv(fakes),
      SCHED_TIMEZONE: zone,
      TRIGGER_CRON: '0 0 * * *',
      POSTCHECK_CRON: '59 23 * * *',
    };
    // Perplexity at 120 rpm (2 calls a second): the night lasts long enough to fail and recover.
    const deps = workerDeps(database.db, { ...env, PERPLEXITY_RPM: '120' });
    await seedSmallDemo(database.db);
    await syncTestProviders(deps);
    const runDate = runDateOf(deps.clock(), zone);
    const trigger = await runTrigger(deps, { runDate, triggeredBy: 'test', scheduled: true });
    expect(trigger.status).toBe('triggered');
    const perplexity = async (status: string) =>
      (
        await queryOne<{ n: number }>(
          database.db,
          sql`select count(*)::int as n from batch_tasks
              where run_date = ${runDate}::date and provider = 'perplexity' and status = ${status}`,
        )
      )?.n ?? 0;

    const worker = spawnWorker([], {
      ...env,
      DATABASE_URL: database.url ?? '',
      SLACK_BOT_TOKEN: BOT_TOKEN,
      SLACK_API_URL: api.url,
      SLACK_REPORT_CHANNEL: REPORT_CHANNEL,
      WORKER_CONCURRENCY: '2',
      NIGHT_WATCH_INTERVAL_SECONDS: '1',
      EARLY_WARNING_MIN_CALLS: '10',
      EARLY_WARNING_WINDOW_CALLS: '12',
    });
    const warningPosts = () =>
      api.callsTo('chat.postMessage').filter((c) => String(c.body.text).includes('*Perplexity*'));
    try {
      await waitUntil(async () => (await perplexity('completed')) >= 8, 120_000);
      fakes.perplexity.scenario = 'server_error';
      await waitUntil(async () => warningPosts().length > 0, 120_000);
      fakes.perplexity.scenario = 'success';
      await waitUntil(
        async () => api.callsTo('chat.update').some((c) => String(c.body.text).includes('has recovered')),
        180_000,
      );
      await waitUntil(
        async () => (await perplexity('pending')) + (await perplexity('processing')) === 0,
        180_000,
      );
    } finally {
      worker.child.kill('SIGTERM');
      await worker.exited;
    }

    expect(warningPosts()).toHaveLength(1);
    const [post] = warningPosts();
    expect(post?.body.channel).toBe(REPORT_CHANNEL);
    expect(String(post?.body.text)).toMatch(
      /⚠️ \*Perplexity\*: \d+% of the last \d+ calls failed \(HTTP 500\)/,
    );
    expect(String(post?.body.text)).toContain('postcheck');
    const updates = api.callsTo('chat.update');
    expect(updates.length).toBeGreaterThanOrEqual(1);
    expect(String(updates.at(-1)?.body.text)).toContain('*Perplexity* has recovered');
    const rows = await queryRows<{ kind: string; subject: string; state: string; ts: string }>(
      database.db,
      sql`select kind, subject, state, ts from night_warnings where run_date = ${runDate}::date`,
    );
    expect(rows).toEqual([
      { kind: 'provider_failing', subject: 'perplexity', state: 'recovered', ts: expect.any(String) },
    ]);
    expect(updates.every((u) => u.body.ts === rows[0]?.ts)).toBe(true);
    // Nothing else was warned about: no stall, no late finish, no other provider.
    const others = api
      .callsTo('chat.postMessage')
      .filter((c) => /not moving|will not finish|\*(OpenAI|Anthropic|Gemini)\*/.test(String(c.body.text)));
    expect(others).toEqual([]);
  }, 600_000);
});
