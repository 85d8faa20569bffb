import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { formatHistory } from '../../src/cli/commands/history.ts';
import { loadConfig } from '../../src/config.ts';
import type { Db } from '../../src/db/client.ts';
import { getNight, listHistory } from '../../src/scheduler/history.ts';
import { runPostcheck } from '../../src/scheduler/postcheck.ts';
import {
  adHocRunKey,
  claimRun,
  FUNCTION_NAMES,
  type FunctionName,
  finishRun,
} from '../../src/store/scheduler-runs.ts';
import { cliEnvironment, sched } from '../support/cli.ts';
import { backends, type TestDatabase } from '../support/db.ts';
import {
  insertCompletedJob,
  insertOrgs,
  insertPrompts,
  insertResponses,
  setProviders,
} from '../support/insert-rows.ts';
import { uuid } from '../support/report-factory.ts';

/**
 * History of nights on both backends. The nights, in America/New_York:
 * - 2026-03-06: trigger at 03:00, scheduled postcheck at 04:00, no task rows (duration to the postcheck)
 * - 2026-03-07: nothing at all (a missed night stays listed)
 * - 2026-03-08 (spring-forward day): trigger, tasks, a scheduled postcheck missing one prompt, a repair by
 *   U123 and a rerun by cron, a later postcheck at 100 %, a failed postcheck that must be ignored
 * - 2026-03-09: today, nothing yet
 */

const zone = 'America/New_York';
const options = loadConfig({ SCHED_TIMEZONE: zone });
const now = new Date('2026-03-09T15:00:00Z');
const orgA = uuid(1, 1);
const orgB = uuid(1, 2);
const prompts = [uuid(2, 1), uuid(2, 2), uuid(2, 3), uuid(2, 4)];
const promptOrg = (p: string) => (p === prompts[0] || p === prompts[1] ? orgA : orgB);

/** A recorded step that took one second; `runKey` is the run_date, or a label for an ad-hoc key. */
async function recordStep(
  db: Db,
  step: { fn: FunctionName; runDate: string; label?: string; by: string; at: string },
  status: 'completed' | 'failed' = 'completed',
) {
  const start = new Date(step.at);
  const runKey = step.label ? adHocRunKey(step.runDate, start, step.label) : step.runDate;
  const run = await claimRun(db, { functionName: step.fn, runKey, triggeredBy: step.by, now: start });
  if (!run) throw new Error(`could not claim ${step.fn} ${runKey}`);
  await finishRun(db, {
    runId: run.id,
    // A repair or rerun that enqueued work (history counts only those).
    outcome: { status, result: { runDate: step.runDate, tasks: 1 } },
    now: new Date(start.getTime() + 1000),
  });
}

const postcheckAt = (db: Db, runDate: string, at: string, scheduled = false) =>
  runPostcheck(
    { db, config: options, clock: () => new Date(at) },
    { runDate, triggeredBy: 'cron', scheduled },
  );

/** One job and its tasks for a run_date, completed at the given instants. */
async function insertTasks(db: Db, runDate: string, completedAt: string[]) {
  const rows = completedAt.map((at, i) => {
    const prompt = prompts[i % prompts.length] as string;
    return {
      org_id: promptOrg(prompt),
      prompt_id: prompt,
      provider: i < 4 ? 'openai' : 'perplexity',
      completed_at: at,
    };
  });
  await db.execute(sql`
    with job as (
      insert into batch_jobs (org_id, run_date, source, status, total_tasks, triggered_by, created_at)
      values (${orgA}::uuid, ${runDate}::date, 'nightly', 'completed', ${rows.length}, 'cron', ${completedAt[0]}::timestamptz)
      returning id
    )
    insert into batch_tasks (batch_job_id, org_id, prompt_id, provider, run_date, status, created_at, completed_at)
    select job.id, x.org_id, x.prompt_id, x.provider, ${runDate}::date, 'completed', x.completed_at, x.completed_at
    from job, jsonb_to_recordset(${JSON.stringify(rows)}::jsonb)
      as x(org_id uuid, prompt_id uuid, provider text, completed_at timestamptz)`);
}

const success = (prompt: string, provider: string, runDate: string, runAt: string) => ({
  org_id: promptOrg(prompt),
  prompt_id: prompt,
  provider,
  run_date: runDate,
  run_at: runAt,
  status: 'success' as const,
});

async function seedNights(db: Db) {
  await setProviders(db, { openai: true, perplexity: true, anthropic: false, gemini: false });
  await insertOrgs(db, [
    { id: orgA, name: 'Acme', slug: 'acme', plan: 'starter', subscription_status: 'active', active: true },
    {
      id: orgB,
      name: 'Globex',
      slug: 'globex',
      plan: 'starter',
      subscription_status: 'active',
      active: true,
    },
  ]);
  await insertPrompts(
    db,
    prompts.map((id) => ({
      id,
      org_id: promptOrg(id),
      text: `prompt ${id}`,
      active: true,
      created_at: '2026-01-01T00:00:00Z',
    })),
  );

  // 2026-03-06: 03:00 EST = 08:00Z; a postcheck with no task rows.
  await recordStep(db, {
    fn: FUNCTION_NAMES.trigger,
    runDate: '2026-03-06',
    by: 'cron',
    at: '2026-03-06T08:00:00Z',
  });
  await postcheckAt(db, '2026-03-06', '2026-03-06T09:00:00Z', true);

  // 2026-03-08: DST starts at 02:00, so 03:00 EDT = 07:00Z.
  const night = '2026-03-08';
  await recordStep(db, {
    fn: FUNCTION_NAMES.trigger,
    runDate: night,
    by: 'cron',
    at: '2026-03-08T07:00:00Z',
  });
  await insertTasks(db, night, [
    '2026-03-08T07:10:00Z',
    '2026-03-08T07:20:00Z',
    '2026-03-08T07:30:00Z',
    '2026-03-08T07:40:00Z',
  ]);
  const answered = (p: string, at: string) => [
    success(p, 'openai', night, at),
    success(p, 'perplexity', night, at),
  ];
  await insertResponses(
    db,
    prompts.slice(0, 3).flatMap((p) => answered(p, '2026-03-08T07:30:00Z')),
  );
  await postcheckAt(db, night, '2026-03-08T08:00:00Z', true);
  await recordStep(db, {
    fn: FUNCTION_NAMES.repair,
    runDate: night,
    label: 'repair',
    by: 'U123',
    at: '2026-03-08T11:00:00Z',
  });
  await recordStep(db, {
    fn: FUNCTION_NAMES.rerun,
    runDate: night,
    label: 'rerun-globex',
    by: 'cron',
    at: '2026-03-08T11:05:00Z',
  });
  await insertTasks(db, night, ['2026-03-08T11:30:00Z']);
  await insertResponses(db, answered(prompts[3] as string, '2026-03-08T11:30:00Z'));
  await insertCompletedJob(db, orgB, night);
  await postcheckAt(db, night, '2026-03-08T12:00:00Z');
  const failed = {
    fn: FUNCTION_NAMES.postcheck,
    runDate: night,
    label: 'manual',
    by: 'cli',
    at: '2026-03-08T13:00:00Z',
  };
  await recordStep(db, failed, 'failed');
  // Rows whose run_key is not a date (a reconciler tick) must not disturb the date parsing.
  await recordStep(db, {
    fn: FUNCTION_NAMES.reconciler,
    runDate: 'tick',
    label: '07:05',
    by: 'scheduler',
    at: '2026-03-08T07:05:00Z',
  });
}

describe.each(backends())('night history on $name', (backend) => {
  let database: TestDatabase;
  let db: Db;

  beforeAll(async () => {
    database = await backend.create();
    db = database.db;
  });
  afterAll(async () => {
    await database.close();
  });

  it('is empty before anything ever ran', async () => {
    expect(await listHistory(db, { days: 14, now, timezone: zone })).toEqual([]);
    expect(await getNight(db, '2026-03-08')).toBeUndefined();
  });

  it('lists one entry per night, newest first, back to the first recorded night', async () => {
    await seedNights(db);
    const entries = await listHistory(db, { days: 14, now, timezone: zone });
    expect(entries.map((e) => e.runDate)).toEqual(['2026-03-09', '2026-03-08', '2026-03-07', '2026-03-06']);

    const [today, , missed, quiet] = entries;
    expect(today).toMatchObject({ health: null, promptCoverage: null, startedAt: null, durationMs: null });
    expect(missed).toMatchObject({
      health: null,
      repairs: { count: 0, by: [] },
      startedAt: null,
      durationMs: null,
    });

    expect(quiet?.health).toBe('NEEDS_ATTENTION'); // no response at all that day
    expect(quiet?.startedAt?.toISOString()).toBe('2026-03-06T08:00:00.000Z');
    expect(quiet?.finishedAt?.toISOString()).toBe('2026-03-06T09:00:00.000Z');
    expect(quiet?.durationMs).toBe(60 * 60_000);
  });

  it('takes health and coverage from the latest postcheck and keeps the scheduled one', async () => {
    const [, night] = await listHistory(db, { days: 14, now, timezone: zone });
    expect(night?.health).toBe('HEALTHY');
    expect(night?.promptCoverage).toEqual({ numerator: 4, denominator: 4, percent: 100 });
    expect(night?.orgCoverage).toEqual({ numerator: 2, denominator: 2, percent: 100 });
    expect(night?.scheduled?.health).toBe('NEEDS_ATTENTION');
    expect(night?.scheduled?.promptCoverage).toEqual({ numerator: 3, denominator: 4, percent: 75 });
    expect(night?.scheduled?.orgCoverage).toEqual({ numerator: 1, denominator: 2, percent: 50 });
    expect(night?.scheduled?.runId).not.toBe(night?.latest?.runId);
    expect(night?.latest?.checkedAt.toISOString()).toBe('2026-03-08T12:00:00.000Z');
  });

  it('counts repairs and reruns with who ran them, and measures the night to its last task', async () => {
    const [, night] = await listHistory(db, { days: 14, now, timezone: zone });
    expect(night?.repairs).toEqual({ count: 1, by: ['U123'] });
    expect(night?.reruns).toEqual({ count: 1, by: ['cron'] });
    expect(night?.startedAt?.toISOString()).toBe('2026-03-08T07:00:00.000Z');
    expect(night?.finishedAt?.toISOString()).toBe('2026-03-08T11:30:00.000Z');
    expect(night?.durationMs).toBe(4.5 * 60 * 60_000);
  });

  it('pages with offset and days', async () => {
    const page = await listHistory(db, { days: 2, offset: 1, now, timezone: zone });
    expect(page.map((e) => e.runDate)).toEqual(['2026-03-08', '2026-03-07']);
    const beyond = await listHistory(db, { days: 5, offset: 10, now, timezone: zone });
    expect(beyond).toEqual([]);
  });

  it('getNight returns the latest recorded report of a night, and nothing for a night without one', async () => {
    const report = await getNight(db, '2026-03-08');
    expect(report?.runDate).toBe('2026-03-08');
    expect(report?.ratios.prompts).toEqual({ numerator: 4, denominator: 4, percent: 100 });
    expect(report?.generatedAt).toBe('2026-03-08T12:00:00.000Z');
    expect(await getNight(db, '2026-03-07')).toBeUndefined();
    expect(await getNight(db, '2026-03-09')).toBeUndefined();
  });
});

describe.each(backends())('sched history on $name', (backend) => {
  let env: Record<string, string | undefined>;
  let close: () => Promise<void>;

  beforeAll(async () => {
    ({ env, close } = await cliEnvironment(backend));
  });
  afterAll(async () => {
    await close();
  });

  it('rejects a bad --days with the usage and exit code 2', async () => {
    for (const days of ['0', '-3', 'abc', '1.5', '99999', '']) {
      const result = await sched(['history', '--days', days], env);
      expect(result.code, `--days ${days}`).toBe(2);
      expect(result.stderr).toMatch(/usage: sched history/);
    }
    expect((await sched(['history', '--days'], env)).code).toBe(2);
    expect((await sched(['history', 'extra'], env)).code).toBe(2);
  });

  it('prints the night a postcheck recorded, as JSON and as text', async () => {
    const postcheck = await sched(['postcheck', '--json'], env);
    expect(postcheck.code).toBe(0);
    const runDate = JSON.parse(postcheck.stdout).runDate;

    const json = await sched(['history', '--days', '3', '--json'], env);
    expect(json.code).toBe(0);
    const entries = JSON.parse(json.stdout);
    expect(entries).toHaveLength(1);
    expect(entries[0]).toMatchObject({ runDate, health: 'HEALTHY', repairs: { count: 0, by: [] } });

    const text = await sched(['history'], env);
    expect(text.stdout).toContain(`${runDate}  HEALTHY`);
    expect(formatHistory([], 'America/New_York')).toBe('No nights recorded yet.\n');
  });
});
