import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runAudit } from '../../src/audit/run-audit.ts';
import { queryOne, queryRows } from '../../src/db/client.ts';
import { silentLogger } from '../../src/logger.ts';
import { ProviderError } from '../../src/providers/types.ts';
import { completeTasks } from '../../src/queue/complete-task.ts';
import { runPostcheck } from '../../src/scheduler/postcheck.ts';
import { changeProvider } from '../../src/scheduler/provider-change.ts';
import { reconcile } from '../../src/scheduler/reconciler.ts';
import { startWorker } from '../../src/scheduler/worker.ts';
import { runDateOf } from '../../src/time/business-day.ts';
import { cliNightTriggered, openCliDatabase, sched } from '../support/cli.ts';
import { backends } from '../support/db.ts';
import {
  clockedDeps,
  completeAllLive,
  DEMO_ORGS_WITH_WORK,
  DEMO_UNITS,
  nightFixture,
} from '../support/scheduler-deps.ts';
import { until } from '../support/slack-payloads.ts';

/**
 * Seen: `sched providers set openai --disable` during a night left its tasks pending forever, no
 * job closed, org coverage read 0 of 5 although every unit still expected was done, and the audit
 * said every invariant held. Taking a provider out of service cancels its live tasks (with who and
 * why), the jobs close, the figures count what is still expected, the report says what happened,
 * and the audit holds. Enabling it again makes its units expected: missing, "enabled after the
 * trigger", and a repair enqueues them.
 */

describe.each(backends())('a provider disabled mid-night on $name', (backend) => {
  let env: Record<string, string | undefined>;
  let close: () => Promise<void>;
  const runDate = runDateOf(new Date(), 'America/New_York');
  let openaiUnits = 0;

  beforeAll(async () => {
    ({ env, close } = await cliNightTriggered(backend, {
      runDate,
      afterTrigger: async (db) => {
        // Every provider but OpenAI has answered; OpenAI's tasks are still queued.
        await completeAllLive(db, runDate, new Date(), { provider: 'openai' });
        const row = await queryOne<{ n: number }>(
          db,
          sql`select count(*)::int as n from batch_tasks where provider = 'openai' and status = 'pending'`,
        );
        openaiUnits = row?.n ?? 0;
      },
    }));
    expect(openaiUnits).toBeGreaterThan(0);
  }, 120_000);
  afterAll(() => close());

  it('cancels its live tasks with who and why, closes the jobs and counts what is still expected', async () => {
    const set = await sched(['providers', 'set', 'openai', '--disable'], env);
    expect(set).toMatchObject({ code: 0, stderr: '' });
    expect(set.stdout).toContain(`${openaiUnits} live units cancelled`);

    const database = await openCliDatabase(env);
    try {
      const tasks = await queryRows<{
        status: string;
        error_class: string | null;
        last_error: string | null;
      }>(database.db, sql`select status, error_class, last_error from batch_tasks where provider = 'openai'`);
      expect(tasks).toHaveLength(openaiUnits);
      for (const t of tasks) {
        expect(t).toMatchObject({ status: 'cancelled', error_class: 'provider_disabled' });
        expect(t.last_error).toContain('cli:dana');
      }
      const change = await queryOne<{ cancelled: Record<string, number> }>(
        database.db,
        sql`select cancelled from provider_changes where provider = 'openai' order by id desc limit 1`,
      );
      expect(change?.cancelled).toEqual({ [runDate]: openaiUnits });
      const open = await queryOne<{ n: number }>(
        database.db,
        sql`select count(*)::int as n from batch_jobs where status in ('queued', 'processing')`,
      );
      expect(open?.n).toBe(0);
    } finally {
      await database.close();
    }

    const post = await sched(['postcheck', '--json'], env);
    const json = JSON.parse(post.stdout);
    expect(json.orgCoverage).toMatchObject({ expected: DEMO_ORGS_WITH_WORK, found: DEMO_ORGS_WITH_WORK });
    expect(json.units).toMatchObject({ missing: 0 });
    expect(json.summary.overallHealth).toBe('HEALTHY');
    expect(json.providerChanges).toEqual([
      expect.objectContaining({
        provider: 'openai',
        change: 'disabled',
        by: 'cli:dana',
        cancelledUnits: openaiUnits,
      }),
    ]);
    const status = await sched(['status'], env);
    expect(status.stdout).toMatch(
      new RegExp(`openai disabled at \\d\\d:\\d\\d by cli:dana: ${openaiUnits} units cancelled`),
    );

    const audit = await sched(['audit', '--date', runDate], env);
    expect(audit.stdout).not.toContain('live_task');
    expect(audit.code).toBe(0);
  }, 120_000);

  it('the audit flags live tasks of a disabled provider', async () => {
    const database = await openCliDatabase(env);
    try {
      // A disable that bypassed `providers set` (a hand-written UPDATE) leaves tasks nobody runs.
      await database.db.execute(sql`update providers set enabled = true where name = 'gemini'`);
      await database.db.execute(sql`
        insert into batch_tasks (batch_job_id, org_id, prompt_id, provider, run_date, status, max_attempts)
        select batch_job_id, org_id, prompt_id, 'gemini', run_date, 'pending', 3 from batch_tasks
        where provider = 'openai' and status = 'cancelled' limit 1`);
      await database.db.execute(sql`update providers set enabled = false where name = 'gemini'`);
    } finally {
      await database.close();
    }
    const audit = await sched(['audit', '--date', runDate, '--json'], env);
    expect(audit.code).toBe(1);
    const checks = JSON.parse(audit.stdout).violations.map((v: { check: string }) => v.check);
    expect(checks).toContain('live_task_provider_disabled');
    // Disabling it again (the advice) cancels them, and the audit holds.
    expect((await sched(['providers', 'set', 'gemini', '--disable'], env)).stdout).toContain(
      '1 live units cancelled',
    );
    expect((await sched(['providers', 'set', 'gemini', '--enable'], env)).code).toBe(0);
  }, 120_000);

  it('enabling it again shows its units missing, "enabled after the trigger", and a repair enqueues them', async () => {
    expect((await sched(['providers', 'set', 'openai', '--enable'], env)).code).toBe(0);
    const status = JSON.parse((await sched(['status', '--json'], env)).stdout);
    type Missing = { missingProviders: { reason: string }[] };
    const reasons = new Set(
      (status.incompletePrompts as Missing[]).flatMap((p) => p.missingProviders.map((m) => m.reason)),
    );
    expect([...reasons]).toEqual(['enabled_after_trigger']);
    expect(status.units.missing).toBe(openaiUnits);
    const text = await sched(['status'], env);
    expect(text.stdout).toContain('enabled after the trigger');

    const repair = await sched(['postcheck', '--repair'], env);
    expect(repair.code).toBe(0);
    const database = await openCliDatabase(env);
    try {
      const row = await queryOne<{ n: number }>(
        database.db,
        sql`select count(*)::int as n from batch_tasks where provider = 'openai' and status = 'pending'`,
      );
      expect(row?.n).toBe(openaiUnits);
    } finally {
      await database.close();
    }
  }, 120_000);

  it('with AUTO_REPAIR=true the postcheck itself enqueues the units of a provider enabled after the trigger', async () => {
    // Out again (the repair's tasks are cancelled), then back: its units are missing once more.
    expect((await sched(['providers', 'set', 'openai', '--disable'], env)).code).toBe(0);
    expect((await sched(['providers', 'set', 'openai', '--enable'], env)).code).toBe(0);
    const pendingOpenai = async () => {
      const database = await openCliDatabase(env);
      try {
        const row = await queryOne<{ n: number }>(
          database.db,
          sql`select count(*)::int as n from batch_tasks where provider = 'openai' and status = 'pending'`,
        );
        return row?.n;
      } finally {
        await database.close();
      }
    };
    expect(await pendingOpenai()).toBe(0);

    const post = await sched(['postcheck', '--json'], { ...env, AUTO_REPAIR: 'true' });
    expect(post.code).toBe(0);
    const json = JSON.parse(post.stdout);
    expect(json.units.missing).toBe(openaiUnits);
    expect(json.autoRepair).toBe('ran');
    expect(json.repair).toMatchObject({ tasks: openaiUnits, byProvider: { openai: openaiUnits } });
    expect(await pendingOpenai()).toBe(openaiUnits);
  }, 120_000);
});

describe.each(backends())('live tasks no longer expected on $name', (backend) => {
  const RUN_DATE = '2026-03-02';
  const night = nightFixture(backend, {
    trigger: { runDate: RUN_DATE, at: new Date('2026-03-02T08:00:00Z') },
  });

  it('an answer that lands after its provider was disabled is kept, and counted nowhere', async () => {
    const db = night.db;
    const task = await queryOne<{ id: number }>(
      db,
      sql`update batch_tasks set status = 'processing', locked_by = 'w1', attempts = 1,
                 lease_expires_at = now() + interval '5 minutes'
          where id = (select min(id) from batch_tasks where provider = 'openai') returning id`,
    );
    const deps = clockedDeps(db, '2026-03-02T08:20:00Z');
    const update = await changeProvider(deps, {
      name: 'openai',
      change: { enabled: false },
      changedBy: 'cli:dana',
    });
    expect(Object.values(update?.cancelled ?? {})).toHaveLength(1);
    const [jobId] = await completeTasks(db, {
      workerId: 'w1',
      completions: [
        {
          taskId: Number(task?.id),
          runDate: RUN_DATE,
          now: new Date('2026-03-02T08:21:00Z'),
          outcome: { status: 'success', model: 'm', text: 'late', tokensIn: 1, tokensOut: 1, latencyMs: 5 },
        },
      ],
    });
    expect(jobId).toBeUndefined();
    const kept = await queryRows<{ status: string; error_class: string; response_text: string }>(
      db,
      sql`select status, error_class, response_text from prompt_provider_responses where batch_task_id = ${task?.id}`,
    );
    expect(kept).toEqual([{ status: 'error', error_class: 'cancelled', response_text: 'late' }]);
  });

  it('a worker cuts the calls in flight of a provider taken out of service', async () => {
    const db = night.db;
    await db.execute(sql`delete from batch_tasks where provider <> 'openai'`);
    let started = 0;
    // Answers only when its call is cut: every call hangs until the worker aborts it.
    const hanging = {
      name: 'openai' as const,
      model: 'm',
      simulated: false,
      ask: (_prompt: string, options?: { signal?: AbortSignal }) =>
        new Promise<never>((_resolve, reject) => {
          started += 1;
          options?.signal?.addEventListener('abort', () => reject(new ProviderError('network', 'aborted')));
        }),
    };
    const deps = { ...clockedDeps(db, new Date()), logger: silentLogger() };
    deps.clock = () => new Date();
    const worker = startWorker(deps, {
      adapters: new Map([['openai', hanging]]),
      concurrency: 4,
      drain: true,
      heartbeatMs: 60_000,
    });
    await until(async () => started === 4);
    await changeProvider(deps, { name: 'openai', change: { enabled: false }, changedBy: 'cli:dana' });
    // The drain ends: every call was cut and nothing of the provider is live.
    const summary = await worker.done;
    expect(summary.succeeded).toBe(0);
    const live = await queryOne<{ n: number }>(
      db,
      sql`select count(*)::int as n from batch_tasks where status in ('pending', 'processing')`,
    );
    expect(live?.n).toBe(0);
  }, 60_000);

  it('an org deactivated and a plan changed mid-night: only what is still expected is counted, and the audit holds', async () => {
    const db = night.db;
    // Perplexity has answered every org, the other providers not yet.
    await completeAllLive(db, RUN_DATE, new Date('2026-03-02T08:10:00Z'), { provider: 'openai' });
    await db.execute(sql`update batch_tasks set status = 'pending', attempts = 0, completed_at = null
                         where status = 'completed' and provider <> 'perplexity'`);
    await db.execute(sql`delete from prompt_provider_responses where provider <> 'perplexity'`);
    // Cobalt Health (pro, 5 prompts x 4 providers) leaves; Delta Logistics (enterprise, 3 prompts)
    // moves to starter, which keeps openai and perplexity only.
    await db.execute(sql`update organizations set active = false where slug = 'cobalt-health'`);
    await db.execute(sql`update organizations set plan = 'starter' where slug = 'delta-logistics'`);
    const reconciled = await reconcile(db, new Date('2026-03-02T08:20:00Z'));
    expect(reconciled.cancelled).toBe(15 + 6);

    await completeAllLive(db, RUN_DATE, new Date('2026-03-02T08:40:00Z'));
    await reconcile(db, new Date('2026-03-02T08:45:00Z'));
    const deps = clockedDeps(db, '2026-03-02T09:00:00Z');
    const { report } = await runPostcheck(deps, { runDate: RUN_DATE, triggeredBy: 'scheduler' });
    const expected = DEMO_UNITS - 20 - 6;
    expect(report.units).toMatchObject({ expected, succeeded: expected, missing: 0 });
    expect(report.orgCoverage).toMatchObject({
      expected: DEMO_ORGS_WITH_WORK - 1,
      found: DEMO_ORGS_WITH_WORK - 1,
    });
    expect(report.summary.overallHealth).toBe('HEALTHY');
    const audit = await runAudit(deps, { runDates: [RUN_DATE], fix: false });
    expect(audit.violations).toEqual([]);
  });

  it('the reconciler cancels the live tasks of a prompt deactivated mid-night, and closes its jobs', async () => {
    const db = night.db;
    const prompt = await queryOne<{ prompt_id: string; n: number }>(
      db,
      sql`select prompt_id, count(*)::int as n from batch_tasks group by prompt_id order by prompt_id limit 1`,
    );
    await db.execute(sql`update prompts set active = false where id = ${prompt?.prompt_id}`);
    const result = await reconcile(db, new Date('2026-03-02T08:30:00Z'));
    expect(result.cancelled).toBe(prompt?.n);
    const tasks = await queryRows<{ status: string; error_class: string }>(
      db,
      sql`select status, error_class from batch_tasks where prompt_id = ${prompt?.prompt_id}`,
    );
    expect(new Set(tasks.map((t) => `${t.status}/${t.error_class}`))).toEqual(
      new Set(['cancelled/no_longer_expected']),
    );
    // Everything else answered: every job closes, none is left open.
    await completeAllLive(db, RUN_DATE, new Date('2026-03-02T08:40:00Z'));
    await reconcile(db, new Date('2026-03-02T08:45:00Z'));
    const open = await queryOne<{ n: number }>(
      db,
      sql`select count(*)::int as n from batch_jobs where status in ('queued', 'processing')`,
    );
    expect(open?.n).toBe(0);
  });
});
