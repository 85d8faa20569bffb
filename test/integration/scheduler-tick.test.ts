import { sql } from 'drizzle-orm';
import { DateTime } from 'luxon';
import { describe, expect, it } from 'vitest';
import { type Database, openDatabase, queryRows } from '../../src/db/client.ts';
import { PROVIDER_NAMES } from '../../src/providers/types.ts';
import { startScheduler } from '../../src/scheduler/cron.ts';
import type { PostcheckResult } from '../../src/scheduler/postcheck.ts';
import { LATE_NIGHT_WAIT_MINUTES } from '../../src/scheduler/postcheck-wait.ts';
import { schedulerTick } from '../../src/scheduler/scheduler-tick.ts';
import { beatWorker } from '../../src/store/workers.ts';
import { runDateOf, runDateRange, runDatesBetween } from '../../src/time/business-day.ts';
import { backends } from '../support/db.ts';
import { call, startOpsServer } from '../support/ops-server.ts';
import {
  type ClockedDeps,
  clockedDeps,
  DEMO_ORGS_WITH_WORK,
  DEMO_UNITS,
  nightFixture,
} from '../support/scheduler-deps.ts';

/**
 * Three scheduler instances on a simulated clock, each with its own deps, clock (one of them 37 s
 * fast) and, on PostgreSQL, its own connection pool, against one database. Simulated time moves
 * in 5-minute ticks through two stretches that hold the 2026 DST days of New York; instances go
 * down and come back (a start-up tick at the instant they return).
 */

const ZONE = 'America/New_York';
const STEP_MS = 5 * 60_000;
const SKEW_MS = [0, 0, 37_000];
const local = (text: string) => DateTime.fromISO(text, { zone: ZONE }).toJSDate();

interface Downtime {
  who: number[];
  from: Date;
  to: Date;
}

const SPRING: Downtime[] = [
  // One instance down across both steps: the others run them on time.
  { who: [0], from: local('2026-03-03T00:30'), to: local('2026-03-03T06:10') },
  { who: [1], from: local('2026-03-02T22:00'), to: local('2026-03-04T01:00') },
  // Every instance down across 03:00; they come back one by one and the first one catches up.
  { who: [0], from: local('2026-03-05T02:40'), to: local('2026-03-05T03:20:13') },
  { who: [1], from: local('2026-03-05T02:40'), to: local('2026-03-05T03:47') },
  { who: [2], from: local('2026-03-05T02:40'), to: local('2026-03-05T05:30') },
  // Spring forward (02:00 -> 03:00): everyone down across both steps, all back at the same instant.
  { who: [0, 1, 2], from: local('2026-03-08T01:30'), to: local('2026-03-08T04:33:20') },
];

const FALL: Downtime[] = [
  { who: [2], from: local('2026-10-30T03:59'), to: local('2026-10-31T02:00') },
  // Fall back (01:00-02:00 twice): down from the first 01:10 (EDT) until 03:10 EST.
  { who: [0, 1, 2], from: new Date('2026-11-01T05:10:00Z'), to: new Date('2026-11-01T08:10:00Z') },
  // Down across midnight and the trigger, back between trigger and postcheck.
  { who: [0, 1, 2], from: local('2026-11-02T23:50'), to: local('2026-11-03T03:40') },
];

/** When the catch-up must have run a step late: [run_date, step, expected local start]. */
const LATE: [string, 'trigger' | 'postcheck', Date][] = [
  ['2026-03-05', 'trigger', local('2026-03-05T03:20:13')],
  ['2026-03-08', 'trigger', local('2026-03-08T04:33:20')],
  // The postcheck is due too, but the trigger ran after its time: it gives the night
  // LATE_NIGHT_WAIT_MINUTES (no worker runs here, so the tasks stay live all along).
  [
    '2026-03-08',
    'postcheck',
    new Date(local('2026-03-08T04:33:20').getTime() + LATE_NIGHT_WAIT_MINUTES * 60_000),
  ],
  ['2026-11-01', 'trigger', new Date('2026-11-01T08:10:00Z')],
  ['2026-11-03', 'trigger', local('2026-11-03T03:40')],
];

describe.each(backends())('three scheduler instances on a simulated clock on $name', (backend) => {
  const night = nightFixture(backend);

  const isUp = (downs: Downtime[], i: number, t: number) =>
    !downs.some((d) => d.who.includes(i) && d.from.getTime() <= t && t < d.to.getTime());

  async function simulate(from: string, to: string, downs: Downtime[], env: Record<string, string> = {}) {
    const posted: PostcheckResult[] = [];
    const hooks = { onPostcheck: (result: PostcheckResult) => void posted.push(result) };
    const instances: ({ deps: ClockedDeps; own?: Database } | undefined)[] = [
      undefined,
      undefined,
      undefined,
    ];
    const start = runDateRange(from, ZONE).start.getTime();
    const end = runDateRange(to, ZONE).end.getTime();

    // Every instant at which some instance looks: the 5-minute timer, and each return from downtime.
    const instants = new Set<number>();
    for (let t = start; t < end; t += STEP_MS) instants.add(t);
    for (const d of downs) if (d.to.getTime() < end) instants.add(d.to.getTime());

    for (const t of [...instants].sort((a, b) => a - b)) {
      const lookers: Promise<unknown>[] = [];
      for (let i = 0; i < 3; i++) {
        if (!isUp(downs, i, t)) {
          await instances[i]?.own?.close();
          instances[i] = undefined;
          continue;
        }
        const aligned = (t - start) % STEP_MS === 0;
        const returning = instances[i] === undefined;
        if (!aligned && !returning) continue;
        if (returning) {
          // A restart: new deps and, on PostgreSQL, a new pool of its own.
          const own = night.database.url
            ? await openDatabase({ url: night.database.url, poolSize: 3 })
            : undefined;
          instances[i] = { deps: clockedDeps(own?.db ?? night.db, new Date(t), env), own };
        }
        const instance = instances[i] as { deps: ClockedDeps };
        instance.deps.at.now = new Date(t + (SKEW_MS[i] ?? 0));
        lookers.push(schedulerTick(instance.deps, { now: instance.deps.clock(), hooks }));
      }
      await Promise.all(lookers);
    }
    await Promise.all(instances.map((instance) => instance?.own?.close()));
    return posted;
  }

  async function runsOf(functionName: string) {
    return queryRows<{ run_key: string; status: string; started_at: Date; result: { runDate?: string } }>(
      night.db,
      sql`select run_key, status, started_at, result from scheduler_runs where function_name = ${functionName}
          order by run_key`,
    );
  }

  async function expectOneRunPerDay(days: string[], posted: PostcheckResult[]) {
    const triggers = await runsOf('daily-batch-trigger');
    const postchecks = await runsOf('scheduler-postcheck');
    expect(triggers.map((r) => r.run_key)).toEqual(days);
    expect(postchecks.map((r) => r.run_key)).toEqual(days);
    for (const [runs, hour] of [
      [triggers, 3],
      [postchecks, 4],
    ] as const) {
      for (const run of runs) {
        expect(run.status).toBe('completed');
        const startedAt = new Date(run.started_at);
        // Never early, never on another business day (DST days included).
        expect(runDateOf(startedAt, ZONE)).toBe(run.run_key);
        expect(startedAt.getTime()).toBeGreaterThanOrEqual(local(`${run.run_key}T0${hour}:00`).getTime());
      }
    }
    for (const run of postchecks) expect(run.result.runDate).toBe(run.run_key);
    // The report hook fired once per night, across all three instances.
    expect(posted.map((p) => p.report.runDate).sort()).toEqual(days);

    const perDay = await queryRows<{ run_date: string; jobs: number; tasks: number; wrong: number }>(
      night.db,
      sql`select j.run_date::text as run_date, count(distinct j.id)::int as jobs, count(t.id)::int as tasks,
                 count(t.id) filter (where t.run_date <> j.run_date)::int as wrong
          from batch_jobs j join batch_tasks t on t.batch_job_id = j.id
          where j.source = 'nightly' group by j.run_date order by j.run_date`,
    );
    expect(perDay).toEqual(
      days.map((d) => ({ run_date: d, jobs: DEMO_ORGS_WITH_WORK, tasks: DEMO_UNITS, wrong: 0 })),
    );
    // Steps due on time ran within the first 5-minute tick.
    const late = new Set(LATE.map(([day, step]) => `${day}/${step}`));
    for (const [runs, step, hour] of [
      [triggers, 'trigger', 3],
      [postchecks, 'postcheck', 4],
    ] as const) {
      for (const run of runs) {
        const due = local(`${run.run_key}T0${hour}:00`).getTime();
        const started = new Date(run.started_at).getTime();
        if (!late.has(`${run.run_key}/${step}`)) expect(started - due).toBeLessThan(STEP_MS);
      }
    }
    // The catch-up ran the moment an instance came back (by the fast one's clock if all returned at once).
    for (const [day, step, at] of LATE.filter(([day]) => days.includes(day))) {
      const run = (step === 'trigger' ? triggers : postchecks).find((r) => r.run_key === day);
      const lateBy = new Date(run?.started_at ?? 0).getTime() - at.getTime();
      if (step === 'trigger') expect([0, Math.max(...SKEW_MS)]).toContain(lateBy);
      // A waiting postcheck runs at the first tick once the wait is over, never before it.
      else expect(lateBy >= 0 && lateBy < STEP_MS + Math.max(...SKEW_MS)).toBe(true);
    }
  }

  // About 8,600 ticks of three instances: 2.5-3 minutes on a loaded machine, and more when it is
  // busier (CI saw 240 s run out with load 20). The limit only guards against a hang; a test that
  // runs out keeps ticking in the background and spoils the next one's rows.
  const TEN_MINUTES = 600_000;

  it(
    '2026-03-01 .. 2026-03-10 (spring forward on the 8th): one trigger and one postcheck per night',
    async () => {
      const posted = await simulate('2026-03-01', '2026-03-10', SPRING);
      await expectOneRunPerDay(runDatesBetween('2026-03-01', '2026-03-10'), posted);
    },
    TEN_MINUTES,
  );

  it(
    '2026-10-28 .. 2026-11-04 (fall back on the 1st): one trigger and one postcheck per night',
    async () => {
      const posted = await simulate('2026-10-28', '2026-11-04', FALL);
      await expectOneRunPerDay(runDatesBetween('2026-10-28', '2026-11-04'), posted);
    },
    TEN_MINUTES,
  );

  it('a trigger set for 02:30 runs right after the spring-forward jump skips that time', async () => {
    await simulate('2026-03-07', '2026-03-09', [], { TRIGGER_CRON: '30 2 * * *' });
    const triggers = await runsOf('daily-batch-trigger');
    const expected = [
      ['2026-03-07', local('2026-03-07T02:30')],
      ['2026-03-08', local('2026-03-08T03:00')], // 02:00 EST jumps to 03:00 EDT
      ['2026-03-09', local('2026-03-09T02:30')],
    ] as const;
    expect(triggers.map((r) => r.run_key)).toEqual(expected.map(([day]) => day));
    triggers.forEach((run, i) => {
      const lateBy = new Date(run.started_at).getTime() - (expected[i]?.[1].getTime() ?? 0);
      expect([0, Math.max(...SKEW_MS)]).toContain(lateBy); // whichever instance's clock won the race
    });
  });

  it('day and month names (MON-FRI, mon-fri): a weekday night runs, a Saturday does not, /healthz stays 200', async () => {
    const env = { TRIGGER_CRON: '0 3 * * MON-FRI', POSTCHECK_CRON: '30 4 * jan-dec mon-fri' };
    const health = async (deps: ClockedDeps) => {
      const server = await startOpsServer(deps);
      try {
        return await call(`${server.url}/healthz`, { method: 'GET' });
      } finally {
        await server.close();
      }
    };
    // A live worker that can call every provider: /healthz judges the schedule, not the workers.
    await beatWorker(night.db, { workerId: 'elsewhere', providers: PROVIDER_NAMES });
    const saturday = clockedDeps(night.db, local('2026-03-07T05:12'), env);
    expect(await schedulerTick(saturday, { now: saturday.clock() })).toMatchObject({
      runDate: '2026-03-07',
      trigger: 'not_due',
      postcheck: 'not_due',
    });
    expect((await health(saturday)).status).toBe(200);

    const monday = clockedDeps(night.db, local('2026-03-09T03:10'), env);
    expect(await schedulerTick(monday, { now: monday.clock() })).toMatchObject({
      runDate: '2026-03-09',
      trigger: 'ran',
      postcheck: 'not_due',
    });
    const response = await health(monday);
    expect(response.status).toBe(200);
    expect(response.json.lastNight).toMatchObject({
      runDate: '2026-03-09',
      trigger: { status: 'completed', dueAt: '2026-03-09T07:00:00.000Z' },
    });
    expect((await runsOf('daily-batch-trigger')).map((r) => r.run_key)).toEqual(['2026-03-09']);
  });

  it('startScheduler runs the catch-up at start-up and stops cleanly', async () => {
    const deps = clockedDeps(night.db, local('2026-03-09T05:12'), { AUTO_REPAIR: 'true' });
    const posted: PostcheckResult[] = [];
    const hooks = { onPostcheck: (r: PostcheckResult) => void posted.push(r) };
    const handle = startScheduler(deps, hooks);
    await handle.ready;
    await handle.stop();
    expect((await runsOf('daily-batch-trigger')).map((r) => r.run_key)).toEqual(['2026-03-09']);
    // The trigger ran after the 04:00 postcheck time: the postcheck gives the late night time.
    expect(await runsOf('scheduler-postcheck')).toEqual([]);
    expect(posted).toHaveLength(0);

    const later = clockedDeps(night.db, local('2026-03-09T06:13'), { AUTO_REPAIR: 'true' });
    expect(await schedulerTick(later, { now: later.clock(), hooks })).toMatchObject({
      trigger: 'done',
      postcheck: 'ran',
    });
    expect((await runsOf('scheduler-postcheck')).map((r) => r.run_key)).toEqual(['2026-03-09']);
    expect(posted).toHaveLength(1);
    // AUTO_REPAIR: nothing ran (no worker here), so the repair found every unit already live.
    const repairs = await queryRows<{ status: string; result: { tasks: number } }>(
      night.db,
      sql`select status, result from scheduler_runs where function_name = 'repair'`,
    );
    expect(repairs).toEqual([{ status: 'completed', result: expect.objectContaining({ tasks: 0 }) }]);
  });

  it('a catch-up postcheck waits for a late night, and runs once it has drained', async () => {
    const deps = clockedDeps(night.db, local('2026-03-09T05:12'));
    expect(await schedulerTick(deps, { now: deps.clock() })).toMatchObject({
      trigger: 'ran',
      postcheck: 'waiting',
    });
    await night.db.execute(sql`update batch_tasks set status = 'completed', completed_at = now()`);
    const drained = clockedDeps(night.db, local('2026-03-09T05:17'));
    expect(await schedulerTick(drained, { now: drained.clock() })).toMatchObject({
      trigger: 'done',
      postcheck: 'ran',
    });
  });

  it('a failing report hook is noted on the postcheck row and does not stop the tick', async () => {
    const early = clockedDeps(night.db, local('2026-03-09T03:05'));
    expect(await schedulerTick(early, { now: early.clock() })).toMatchObject({
      trigger: 'ran',
      postcheck: 'not_due',
    });
    const deps = clockedDeps(night.db, local('2026-03-09T04:05'));
    const result = await schedulerTick(deps, {
      now: deps.clock(),
      hooks: {
        onPostcheck: () => {
          throw new Error('slack is down');
        },
      },
    });
    expect(result).toMatchObject({ runDate: '2026-03-09', trigger: 'done', postcheck: 'ran' });
    const [row] = await queryRows<{ status: string; error: string }>(
      night.db,
      sql`select status, error from scheduler_runs where function_name = 'scheduler-postcheck'`,
    );
    expect(row).toMatchObject({ status: 'completed', error: 'onPostcheck failed: slack is down' });
    const again = await schedulerTick(deps, { now: deps.clock(), hooks: {} });
    expect(again).toMatchObject({ trigger: 'done', postcheck: 'done' });
  });
});
