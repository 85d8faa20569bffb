import { DateTime } from 'luxon';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { sharedBackends, type TestDatabase } from '../support/db.ts';
import { Processes, processEnv } from '../support/fault-night.ts';
import { expectNightInvariants } from '../support/night-invariants.ts';
import { DEMO_UNITS, seedSmallDemo, taskCounts } from '../support/scheduler-deps.ts';
import { BotProcess } from '../support/spawn-bot.ts';
import { syncTestProviders, waitUntil, workerDeps } from '../support/worker-fixtures.ts';

/**
 * Three `sched serve` processes on one PostgreSQL, each with its own scheduler, whose trigger
 * timer fires at the same minute (and whose reconciler timers fire every minute together): one
 * trigger row, one nightly job per org, one task per unit, and their three workers run the night
 * to its end together.
 */

const ZONE = 'America/New_York';
/** Time for the three processes to start before their trigger minute (more on a busy machine). */
const LEAD_SECONDS = 45;
const NOT_TODAY = '0 0 1 1 *';

describe.skipIf(sharedBackends().length > 0)('three serve instances', () => {
  it.skip('need a PostgreSQL that several processes share: set TEST_DATABASE_URL', () => undefined);
});

describe.each(sharedBackends())('three serve instances firing the same cron tick on $name', (backend) => {
  let database: TestDatabase;
  const processes = new Processes();
  beforeAll(async () => {
    database = await backend.create();
  });
  afterEach(() => processes.killAll());
  afterAll(() => database.close());

  it('trigger once, and run the night together', async () => {
    const db = database.db;
    await seedSmallDemo(db);
    await syncTestProviders(workerDeps(db));

    // A daily time later today: not due at start-up, so the timer itself fires it. A time past
    // midnight would be "already passed today" for a process started before it: start after it.
    let now = DateTime.now().setZone(ZONE);
    if (now.plus({ seconds: LEAD_SECONDS + 60 }).toISODate() !== now.toISODate()) {
      await new Promise((resolve) => setTimeout(resolve, now.endOf('day').diff(now).toMillis() + 2_000));
      now = DateTime.now().setZone(ZONE);
    }
    const tick = now.plus({ seconds: LEAD_SECONDS }).startOf('minute').plus({ minutes: 1 });
    const runDate = tick.toISODate() ?? '';
    const env = processEnv(database.url ?? '', {
      SIMULATED_PROFILE: 'ideal',
      PORT: '0',
      LOG_LEVEL: 'info',
      WORKER_CONCURRENCY: '4',
      TRIGGER_CRON: `${tick.minute} ${tick.hour} * * *`,
      POSTCHECK_CRON: NOT_TODAY,
      RECONCILER_CRON: '* * * * *',
    });
    const serves = [0, 1, 2].map(() => processes.add(BotProcess.sched(['serve'], env)));
    for (const serve of serves) await serve.port(180_000);

    await waitUntil(
      async () => {
        const c = await taskCounts(db, runDate);
        return c.total > 0 && c.live === 0;
      },
      tick.diffNow().toMillis() + 180_000,
      250,
    );
    const ran = serves.flatMap((s) => s.output.match(/scheduler: trigger ran/g) ?? []);
    expect(ran, serves.map((s) => s.output).join('\n')).toHaveLength(1);
    for (const serve of serves) serve.kill('SIGTERM');
    for (const serve of serves) expect(await serve.exited, serve.output).toBe(0);
    await expectNightInvariants(db, runDate, { expectedUnits: DEMO_UNITS });
  }, 420_000);
});
