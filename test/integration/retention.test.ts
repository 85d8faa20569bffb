import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runAudit } from '../../src/audit/run-audit.ts';
import { formatRetention } from '../../src/cli/commands/retention.ts';
import { buildCommand } from '../../src/console/sign-request.ts';
import { type Db, openDatabase, queryOne } from '../../src/db/client.ts';
import { getNight, listHistory } from '../../src/scheduler/history.ts';
import { measureCoverage, runPostcheck } from '../../src/scheduler/postcheck.ts';
import { reconcile } from '../../src/scheduler/reconciler.ts';
import { repairMissing } from '../../src/scheduler/repair.ts';
import { runRetention } from '../../src/scheduler/retention.ts';
import { runTrigger } from '../../src/scheduler/trigger.ts';
import { addDays, runDateOf } from '../../src/time/business-day.ts';
import { cliEnvironment, sched } from '../support/cli.ts';
import { backends } from '../support/db.ts';
import { ADMIN, startSlackHarness } from '../support/fake-slack.ts';
import {
  clockedDeps,
  completeAllLive,
  DEMO_ORGS_WITH_WORK,
  DEMO_UNITS,
  nightFixture,
} from '../support/scheduler-deps.ts';
import { messageText } from '../support/slack-payloads.ts';

/**
 * Opt-in retention: a night past QUEUE_RETENTION_DAYS whose postcheck is recorded loses its task
 * partition and jobs; its history line, figures and audit stay (and say the details are gone), a
 * repair is refused with that reason, its responses stay unless RESPONSE_RETENTION_DAYS is set.
 * A night without a recorded postcheck is kept.
 */

const OLD = '2026-03-02';
const UNCHECKED = '2026-03-03';
const TODAY_AT = new Date('2026-03-20T15:00:00Z');
const zone = 'America/New_York';

const count = async (db: Db, query: ReturnType<typeof sql>) => (await queryOne<{ n: number }>(db, query))?.n;
const partitionExists = async (db: Db, name: string) =>
  (await queryOne<{ found: boolean }>(db, sql`select to_regclass(${name}) is not null as found`))?.found;
const rollupOf = (db: Db) =>
  count(
    db,
    sql`select coalesce(sum(succeeded), 0)::int as n from coverage_rollup where run_date = ${OLD}::date`,
  );

describe.each(backends())('retention on $name', (backend) => {
  const night = nightFixture(backend, {
    shape: async (db) => {
      for (const runDate of [OLD, UNCHECKED]) {
        const deps = clockedDeps(db, `${runDate}T08:00:00Z`);
        await runTrigger(deps, { runDate, triggeredBy: 'scheduler', scheduled: true });
        await completeAllLive(db, runDate, new Date(`${runDate}T08:30:00Z`));
        await reconcile(db, new Date(`${runDate}T08:40:00Z`));
      }
      const checked = clockedDeps(db, `${OLD}T09:00:00Z`);
      await runPostcheck(checked, { runDate: OLD, triggeredBy: 'scheduler', scheduled: true });
    },
  });
  const deps = (env: Record<string, string> = {}) => clockedDeps(night.db, TODAY_AT, env);

  it('does nothing unless QUEUE_RETENTION_DAYS is set', async () => {
    const result = await runRetention(deps(), { dryRun: false });
    expect(result).toMatchObject({ enabled: false, pruned: [] });
    expect(formatRetention(result)).toMatch(/Retention is off/);
    expect(await partitionExists(night.db, 'batch_tasks_p20260302')).toBe(true);
  });

  it('a dry run says what it would remove and removes nothing', async () => {
    const result = await runRetention(deps({ QUEUE_RETENTION_DAYS: '7' }), { dryRun: true });
    expect(result.nights).toEqual([
      {
        runDate: OLD,
        queue: true,
        responses: false,
        tasks: DEMO_UNITS,
        jobs: DEMO_ORGS_WITH_WORK,
        responseRows: DEMO_UNITS,
      },
      {
        runDate: UNCHECKED,
        queue: false,
        responses: false,
        keptBecause: 'no_postcheck',
        tasks: DEMO_UNITS,
        jobs: DEMO_ORGS_WITH_WORK,
        responseRows: DEMO_UNITS,
      },
      // Made ahead by the last trigger, never used.
      { runDate: '2026-03-04', queue: true, responses: true, tasks: 0, jobs: 0, responseRows: 0 },
    ]);
    expect(formatRetention(result)).toBe(
      'Retention, dry run: 2 nights would be pruned.\n' +
        `${OLD}  would remove ${DEMO_UNITS} tasks and ${DEMO_ORGS_WITH_WORK} jobs\n` +
        `${UNCHECKED}  kept: no postcheck recorded yet\n` +
        '2026-03-04  would remove its empty partitions\n',
    );
    expect(
      await count(night.db, sql`select count(*)::int as n from batch_tasks where run_date = ${OLD}::date`),
    ).toBe(DEMO_UNITS);
  });

  it('prunes a recorded night: history, figures and audit stay; a repair is refused', async () => {
    const history = await listHistory(night.db, { days: 20, now: TODAY_AT, timezone: zone });
    const recorded = await getNight(night.db, OLD);
    const rollup = await rollupOf(night.db);

    const env = { QUEUE_RETENTION_DAYS: '7' };
    const result = await runRetention(deps(env), { dryRun: false });
    expect(result.pruned).toEqual([
      { runDate: OLD, tasks: DEMO_UNITS, jobs: DEMO_ORGS_WITH_WORK, responses: 0 },
      { runDate: '2026-03-04', tasks: 0, jobs: 0, responses: 0 },
    ]);
    expect(await partitionExists(night.db, 'prompt_provider_responses_p20260304')).toBe(false);
    expect(await partitionExists(night.db, 'batch_tasks_p20260302')).toBe(false);
    expect(
      await count(night.db, sql`select count(*)::int as n from batch_jobs where run_date = ${OLD}::date`),
    ).toBe(0);
    // Responses and the rollup stay; the unchecked night keeps everything.
    expect(
      await count(
        night.db,
        sql`select count(*)::int as n from prompt_provider_responses where run_date = ${OLD}::date`,
      ),
    ).toBe(DEMO_UNITS);
    expect(await rollupOf(night.db)).toBe(rollup);
    expect(await partitionExists(night.db, 'batch_tasks_p20260303')).toBe(true);

    const after = await listHistory(night.db, { days: 20, now: TODAY_AT, timezone: zone });
    const pruned = after.find((e) => e.runDate === OLD);
    expect(pruned?.detailsPrunedAt).toBeInstanceOf(Date);
    expect(after.map(({ detailsPrunedAt: _, ...e }) => e)).toEqual(history);
    const measured = await measureCoverage(deps(env), { runDate: OLD });
    expect(measured).toEqual({ ...recorded, detailsPrunedAt: TODAY_AT.toISOString() });

    await expect(repairMissing(deps(env), { runDate: OLD, triggeredBy: 'U1' })).rejects.toThrow(
      /removed by retention .* can no longer be repaired/,
    );
    const audit = await runAudit(deps(env), { runDates: [OLD], fix: false });
    expect(audit.violations.filter((v) => v.runDate === OLD)).toEqual([]);
    expect(audit.notes).toContainEqual(expect.objectContaining({ check: 'night_pruned', runDate: OLD }));

    // A second run finds nothing left to do for it.
    expect((await runRetention(deps(env), { dryRun: false })).pruned).toEqual([]);
  });

  it('removes responses only with RESPONSE_RETENTION_DAYS, and records how many', async () => {
    const env = { QUEUE_RETENTION_DAYS: '7', RESPONSE_RETENTION_DAYS: '10' };
    const result = await runRetention(deps(env), { dryRun: false });
    expect(result.pruned).toEqual([
      { runDate: OLD, tasks: DEMO_UNITS, jobs: DEMO_ORGS_WITH_WORK, responses: DEMO_UNITS },
      { runDate: '2026-03-04', tasks: 0, jobs: 0, responses: 0 },
    ]);
    expect(await partitionExists(night.db, 'prompt_provider_responses_p20260302')).toBe(false);
    expect(
      await count(night.db, sql`select responses as n from pruned_nights where run_date = ${OLD}::date`),
    ).toBe(DEMO_UNITS);
    // The unchecked night keeps its responses too.
    expect(
      await count(
        night.db,
        sql`select count(*)::int as n from prompt_provider_responses where run_date = ${UNCHECKED}::date`,
      ),
    ).toBe(DEMO_UNITS);
  });
});

describe.each(backends())('sched retention on the demo data on $name', (backend) => {
  let env: Record<string, string | undefined>;
  let close: () => Promise<void>;
  let dir: string;
  const today = runDateOf(new Date(), zone);
  // Two nights past QUEUE_RETENTION_DAYS=3, one within it; each answered and checked.
  const [older, old, recent] = [-5, -4, -1].map((d) => addDays(today, d)) as [string, string, string];
  const withRetention = () => ({ ...env, QUEUE_RETENTION_DAYS: '3' });
  const openCli = () => openDatabase({ url: env.DATABASE_URL, pgliteDir: env.PGLITE_DIR });
  const queueRows = async () => {
    const database = await openCli();
    try {
      return await queryOne<{ tasks: number; jobs: number; pruned: number }>(
        database.db,
        sql`select (select count(*)::int from batch_tasks) as tasks, (select count(*)::int from batch_jobs) as jobs,
                   (select count(*)::int from pruned_nights) as pruned`,
      );
    } finally {
      await database.close();
    }
  };

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'sched-retention-'));
    ({ env, close } = await cliEnvironment(backend, { SIMULATED_PROFILE: 'ideal', USER: 'ops' }));
    expect((await sched(['seed', '--demo'], env)).code).toBe(0);
    for (const date of [older, old, recent]) {
      expect((await sched(['trigger', '--date', date], env)).code).toBe(0);
      const database = await openCli();
      try {
        await completeAllLive(database.db, date, new Date());
      } finally {
        await database.close();
      }
      expect((await sched(['reconcile'], env)).code).toBe(0);
      expect((await sched(['postcheck', '--date', date], env)).code).toBe(0);
    }
  }, 300_000);
  afterAll(async () => {
    await close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('--dry-run says what it would remove and removes nothing', async () => {
    const before = await queueRows();
    expect(before?.tasks).toBe(1800);
    const dry = await sched(['retention', '--dry-run'], withRetention());
    expect(dry).toMatchObject({ code: 0, stderr: '' });
    expect(dry.stdout).toMatch(/^Retention, dry run: \d+ nights would be pruned\.\n/);
    expect(dry.stdout).toContain(`\n${older}  would remove 600 tasks and 18 jobs\n`);
    expect(dry.stdout).toContain(`\n${old}  would remove 600 tasks and 18 jobs\n`);
    expect(dry.stdout).not.toContain(recent);
    expect(await queueRows()).toEqual(before);
    expect((await sched(['history'], env)).stdout).not.toContain('details pruned');
  }, 120_000);

  it('after pruning, `sched history --chart` and /sched-history still work and say the details are gone', async () => {
    const run = await sched(['retention'], withRetention());
    expect(run.code).toBe(0);
    expect(run.stdout).toContain(`\n${older}  removed 600 tasks and 18 jobs\n`);
    expect((await queueRows())?.tasks).toBe(600);

    const history = await sched(['history'], env);
    expect(history.stdout).toMatch(new RegExp(`^${old} .*details pruned \\(retention\\)`, 'm'));
    expect(history.stdout).not.toMatch(new RegExp(`^${recent} .*details pruned`, 'm'));
    const out = join(dir, 'coverage.png');
    const chart = await sched(['history', '--chart', out], env);
    expect(chart.code, chart.stderr).toBe(0);
    expect(chart.stdout).toContain(`written to ${out}`);
    expect(chart.stdout).toContain(`The details of ${older} and ${old} were removed by retention`);
    expect(existsSync(out)).toBe(true);

    const database = await openCli();
    const h = await startSlackHarness(database.db);
    try {
      const res = await h.send(
        buildCommand({
          command: '/sched-history',
          text: '',
          userId: ADMIN,
          responseUrl: h.api.responseUrl('h1'),
        }),
      );
      expect(res.status).toBe(200);
      const answer = await h.api.waitFor((c) => c.responseId === 'h1');
      // One history line per pruned night says so; the recent night's does not.
      const pruned = messageText(answer.body)
        .split('\n')
        .filter((l) => l.includes('details pruned by retention'));
      expect(pruned).toHaveLength(2);

      // The chart in Slack says the same, as its upload's comment.
      expect(
        (
          await h.send(
            buildCommand({
              command: '/sched-history',
              text: 'chart',
              userId: ADMIN,
              responseUrl: h.api.responseUrl('h2'),
            }),
          )
        ).status,
      ).toBe(200);
      await h.api.waitFor((c) => c.method === 'files.completeUploadExternal' && c.response.ok === true);
      expect(h.api.sharedFiles().at(-1)?.initialComment).toContain(
        `The details of ${older} and ${old} were removed by retention`,
      );
    } finally {
      await h.stop();
      await database.close();
    }
  }, 180_000);
});
