import { userInfo } from 'node:os';
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.ts';
import { openDatabase, queryOne } from '../../src/db/client.ts';
import { checkHealth } from '../../src/http/health.ts';
import { alertLateSteps } from '../../src/scheduler/late-step-watch.ts';
import { missedNights } from '../../src/scheduler/missed-nights.ts';
import type { NightReporter } from '../../src/scheduler/night-reporter.ts';
import { runPostcheck } from '../../src/scheduler/postcheck.ts';
import { reconcile } from '../../src/scheduler/reconciler.ts';
import { runTrigger } from '../../src/scheduler/trigger.ts';
import { addDays, runDateOf } from '../../src/time/business-day.ts';
import { cliEnvironment, sched } from '../support/cli.ts';
import { backends } from '../support/db.ts';
import { clockedDeps, completeAllLive, nightFixture } from '../support/scheduler-deps.ts';

/**
 * Seen: on a fresh install the first message was "Late: the postcheck has not finished (446
 * minutes ago)"; after the console's `night` recorded a healthy postcheck /healthz said
 * "postcheck is overdue (no run recorded)"; and between midnight and the trigger time /healthz
 * said ok although yesterday never ran. A step is late only if its time came after the install,
 * a step counts as done whichever entry point recorded it, and a missed night is flagged until
 * backfilled or acknowledged.
 */

const RUN_DATE = '2026-03-09';
const healthDeps = (db: Parameters<typeof clockedDeps>[0], at: string) => ({
  ...clockedDeps(db, at, { SLACK_REPORT_CHANNEL: 'C0REPORT' }),
  workers: () => ({ expected: 0, alive: 0 }),
});
const stepReasons = (reasons: string[]) => reasons.filter((r) => /late|overdue|night_missed|failed/.test(r));

describe.each(backends())('late means late on $name', (backend) => {
  const night = nightFixture(backend);
  const installAt = (instant: string) =>
    night.db.execute(sql`update installation set installed_at = ${instant}::timestamptz`);

  it('a fresh install owes nothing from before it: no late alert, nothing overdue', async () => {
    // Installed at 10:00 New York time, seven hours after the trigger's and six after the postcheck's.
    await installAt('2026-03-09T14:00:00Z');
    const deps = healthDeps(night.db, '2026-03-09T15:00:00Z');
    const posted: string[] = [];
    // Only alertLate is called by the watch.
    const reporter = {
      async alertLate(late: { step: string }) {
        posted.push(late.step);
        return { channel: 'C0REPORT', ts: '1.1' };
      },
    } as unknown as NightReporter;
    expect(await alertLateSteps({ ...deps, reporter }, { now: deps.clock() })).toEqual([]);
    expect(posted).toEqual([]);
    const health = await checkHealth(deps);
    expect(stepReasons(health.reasons)).toEqual([]);
    // The next night is owed: its trigger is late 15 minutes after 03:00.
    deps.at.now = new Date('2026-03-10T07:20:00Z');
    expect(await alertLateSteps({ ...deps, reporter }, { now: deps.clock() })).toEqual(['trigger']);
  });

  it("a postcheck recorded by the console's night counts: /healthz says the step is done", async () => {
    await installAt('2026-03-01T00:00:00Z');
    const deps = healthDeps(night.db, '2026-03-09T08:00:00Z');
    // What the console's `night` does: the trigger under the night's key, the postcheck ad hoc.
    await runTrigger(deps, { runDate: RUN_DATE, triggeredBy: 'console', scheduled: true });
    await completeAllLive(night.db, RUN_DATE, new Date('2026-03-09T08:05:00Z'));
    await reconcile(night.db, new Date('2026-03-09T08:06:00Z'));
    deps.at.now = new Date('2026-03-09T08:10:00Z');
    await runPostcheck(deps, { runDate: RUN_DATE, triggeredBy: 'console', scheduled: false });
    // Hours past the postcheck's time, with no scheduled row.
    deps.at.now = new Date('2026-03-09T15:00:00Z');
    const health = await checkHealth(deps);
    expect(health.lastNight?.postcheck).toMatchObject({ status: 'completed', overdue: false, late: false });
    expect(health.lastNight?.postcheck.health).toBe('HEALTHY');
    expect(health.reasons.filter((r) => r.includes('postcheck'))).toEqual([]);
  });

  it('a past night that never ran is flagged until acknowledged, with who', async () => {
    await installAt('2026-03-01T00:00:00Z');
    // Every night from Mar 2 to Mar 7 ran; Mar 8 did not. It is 01:00 on Mar 9, before the trigger.
    await night.db.execute(sql`
      insert into scheduler_runs (function_name, run_key, status, started_at, completed_at, triggered_by)
      select 'daily-batch-trigger', to_char(d, 'YYYY-MM-DD'), 'completed', d + interval '8 hours',
             d + interval '8 hours 1 minute', 'scheduler'
      from generate_series('2026-03-02'::timestamptz, '2026-03-07'::timestamptz, interval '1 day') d`);
    const deps = healthDeps(night.db, '2026-03-09T06:00:00Z');
    const before = await checkHealth(deps);
    expect(before.status).toBe('unhealthy');
    expect(stepReasons(before.reasons)).toEqual([
      expect.stringMatching(/^night_missed: 2026-03-08 never ran/),
    ]);
    expect(before.missedNights).toEqual(['2026-03-08']);

    const { acknowledgeMissedNight } = await import('../../src/scheduler/missed-nights.ts');
    await acknowledgeMissedNight(deps, { runDate: '2026-03-08', by: 'cli:dana' });
    const after = await checkHealth(deps);
    expect(stepReasons(after.reasons)).toEqual([]);
    const ack = await queryOne<{ acked_by: string }>(
      night.db,
      sql`select acked_by from night_acks where run_date = '2026-03-08'`,
    );
    expect(ack?.acked_by).toBe('cli:dana');
    // A night that ran has nothing to acknowledge.
    await expect(acknowledgeMissedNight(deps, { runDate: '2026-03-07', by: 'cli:dana' })).rejects.toThrow(
      /nothing to acknowledge/,
    );
  });
});

describe.each(backends())('sched ack on $name', (backend) => {
  let env: Record<string, string | undefined>;
  let close: () => Promise<void>;
  // The CLI reads the real clock: yesterday is the past night, three days after the install.
  const today = runDateOf(new Date(), 'America/New_York');
  const yesterday = addDays(today, -1);

  beforeAll(async () => {
    ({ env, close } = await cliEnvironment(backend, { USER: 'dana' }));
    const database = await openDatabase({ url: env.DATABASE_URL, pgliteDir: env.PGLITE_DIR });
    try {
      await database.db.execute(sql`update installation set installed_at = now() - interval '3 days'`);
    } finally {
      await database.close();
    }
  }, 60_000);
  afterAll(() => close());

  const missed = async () => {
    const database = await openDatabase({ url: env.DATABASE_URL, pgliteDir: env.PGLITE_DIR });
    try {
      return await missedNights({ db: database.db, config: loadConfig({}) }, new Date());
    } finally {
      await database.close();
    }
  };

  it('acknowledges a missed night as the command a person types, once, with who', async () => {
    expect(await missed()).toContain(yesterday);
    const ack = await sched(['ack', yesterday], env);
    expect(ack).toMatchObject({ code: 0, stderr: '' });
    expect(ack.stdout).toBe(`${yesterday}: acknowledged as missed by cli:dana; it is no longer flagged.\n`);
    expect(await missed()).not.toContain(yesterday);

    const again = await sched(['ack', yesterday], { ...env, USER: 'erin' });
    expect(again.code).toBe(0);
    expect(again.stdout).toMatch(new RegExp(`^${yesterday}: already acknowledged by cli:dana at `));

    // Usage errors exit 2 and write nothing.
    for (const argv of [['ack'], ['ack', today], ['ack', '2026-02-30'], ['ack', yesterday, 'extra']]) {
      const refused = await sched(argv, env);
      expect(refused.code, argv.join(' ')).toBe(2);
      expect(refused.stdout).toBe('');
    }
    const database = await openDatabase({ url: env.DATABASE_URL, pgliteDir: env.PGLITE_DIR });
    try {
      const acks = await queryOne<{ n: number }>(database.db, sql`select count(*)::int as n from night_acks`);
      expect(acks?.n).toBe(1);
    } finally {
      await database.close();
    }
  }, 60_000);

  it('records the system account when no login variable is set (a container, cron), never "cli:unknown"', async () => {
    const before = addDays(today, -2);
    expect(await missed()).toContain(before);
    const noLogin = { ...env, USER: undefined, LOGNAME: undefined, SUDO_USER: undefined };
    const ack = await sched(['ack', before], noLogin);
    expect(ack.code).toBe(0);
    expect(ack.stdout).toContain(`acknowledged as missed by cli:${userInfo().username};`);
    expect(ack.stdout).not.toContain('cli:unknown');
  }, 60_000);
});
