import { Writable } from 'node:stream';
import { setTimeout } from 'node:timers/promises';
import { sql } from 'drizzle-orm';
import pg from 'pg';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { formatCoverageReport } from '../../src/blocks/text-report.ts';
import type { Deps } from '../../src/context.ts';
import { queryOne, queryRows } from '../../src/db/client.ts';
import { createLogger } from '../../src/logger.ts';
import { createSimulatedAdapter } from '../../src/providers/simulated.ts';
import { type ProviderAdapter, ProviderError } from '../../src/providers/types.ts';
import { claimableProviders, claimTasks } from '../../src/queue/claim-tasks.ts';
import { completeTask } from '../../src/queue/complete-task.ts';
import { releaseTask } from '../../src/queue/release-task.ts';
import { measureCoverage, runPostcheck } from '../../src/scheduler/postcheck.ts';
import { reconcile } from '../../src/scheduler/reconciler.ts';
import { repairMissing } from '../../src/scheduler/repair.ts';
import { startWorker, type WorkerResultEvent } from '../../src/scheduler/worker.ts';
import { sched } from '../support/cli.ts';
import { backends, postgresUrl, sharedBackends, type TestDatabase, truncateAll } from '../support/db.ts';
import { DEMO_UNITS, seedSmallDemo } from '../support/scheduler-deps.ts';
import {
  duplicateSuccesses,
  inexactJobs,
  type RecordedCall,
  recording,
  simulatedAdapters,
  syncTestProviders,
  triggerToday,
  waitUntil,
  workerDeps,
} from '../support/worker-fixtures.ts';

const coverage = (deps: Deps, runDate: string) => measureCoverage(deps, { runDate });

const FAST = { latencyMs: { min: 1, max: 3 } };

describe.each(backends())('worker on $name', (backend) => {
  let database: TestDatabase;
  let deps: Deps;
  beforeAll(async () => {
    database = await backend.create();
  });
  afterAll(() => database.close());
  beforeEach(async () => {
    await truncateAll(database);
    deps = workerDeps(database.db);
  });

  it('runs an ideal night to 100 % full coverage, HEALTHY, with every job closed and its counters exact', async () => {
    await seedSmallDemo(database.db);
    await syncTestProviders(deps);
    const runDate = await triggerToday(deps);
    const events: WorkerResultEvent[] = [];
    const worker = startWorker(deps, {
      adapters: simulatedAdapters('ideal'),
      concurrency: 16,
      drain: true,
      onResult: (event) => events.push(event),
    });
    const summary = await worker.done;
    expect(summary).toMatchObject({
      claimed: DEMO_UNITS,
      succeeded: DEMO_UNITS,
      failed: 0,
      retried: 0,
      lost: 0,
    });
    expect(events).toHaveLength(DEMO_UNITS);
    expect(events.every((e) => e.status === 'success')).toBe(true);

    const report = await coverage(deps, runDate);
    expect(report.summary.overallHealth).toBe('HEALTHY');
    expect(report.ratios.fullPrompts.numerator).toBe(report.ratios.fullPrompts.denominator);
    expect(report.units).toMatchObject({ expected: DEMO_UNITS, succeeded: DEMO_UNITS, missing: 0 });
    expect(await duplicateSuccesses(database.db)).toEqual([]);
    expect(await inexactJobs(database.db)).toEqual([]);
    const responses = await queryOne<{ n: number; models: string[]; dates: string[] }>(
      database.db,
      sql`select count(*)::int as n, array_agg(distinct model) as models, array_agg(distinct run_date::text) as dates
          from prompt_provider_responses where status = 'success'`,
    );
    expect(responses).toEqual({ n: DEMO_UNITS, models: ['simulated'], dates: [runDate] });
    // One call per unit: each task claimed once.
    const calls = await queryOne<{ n: number }>(
      database.db,
      sql`select sum(attempts)::int as n from batch_tasks`,
    );
    expect(calls?.n).toBe(DEMO_UNITS);
  });

  // Whoever follows the night (refresh-night.ts) measures it when told a task finished: told of
  // the night's last task before that task's job was closed, it counted the org missing (found by
  // the night simulator on PostgreSQL).
  it('tells onTaskFinished of the last task only once every job of the night is closed', async () => {
    await seedSmallDemo(database.db);
    await syncTestProviders(deps);
    const runDate = await triggerToday(deps);
    const openJobs: Promise<number>[] = [];
    const worker = startWorker(deps, {
      adapters: simulatedAdapters('ideal'),
      concurrency: 4,
      drain: true,
      onTaskFinished: () => {
        openJobs.push(
          queryOne<{ n: number }>(
            database.db,
            sql`select count(*)::int as n from batch_jobs
                where run_date = ${runDate}::date and status in ('queued', 'processing')`,
          ).then((row) => row?.n ?? -1),
        );
      },
    });
    await worker.done;
    expect(openJobs).toHaveLength(DEMO_UNITS);
    expect(await openJobs.at(-1)).toBe(0);
  });

  it('leaves the demo failures for the postcheck to name; a repair and another drain bring coverage to 100 %', async () => {
    await seedSmallDemo(database.db);
    // Demo texts repeat across orgs, and the simulated provider counts calls per text: unique
    // texts make the set of stubborn failures the same on every run.
    await database.db.execute(sql`update prompts set text = text || ' #' || left(id::text, 8)`);
    await syncTestProviders(deps);
    const runDate = await triggerToday(deps);
    const adapters = simulatedAdapters('demo', FAST);
    const night = await startWorker(deps, { adapters, concurrency: 32, drain: true }).done;
    expect(night.failed).toBeGreaterThan(0);

    const { report } = await runPostcheck(deps, { runDate, triggeredBy: 'test' });
    const failed = await queryRows<{
      prompt_id: string;
      provider: string;
      attempts: number;
      error_class: string;
    }>(
      database.db,
      sql`select prompt_id, provider, attempts, error_class from batch_tasks where status = 'failed'`,
    );
    expect(failed).toHaveLength(night.failed);
    // The stubborn pairs failed all three attempts with a server error, and the report names each.
    expect(failed.every((t) => t.attempts === 3 && t.error_class === 'server')).toBe(true);
    expect(report.units.missing).toBe(failed.length);
    const named = report.incompletePrompts.flatMap((p) =>
      p.missingProviders.map((m) => `${p.id}/${m.provider}/${m.reason}`),
    );
    expect(named.sort()).toEqual(failed.map((t) => `${t.prompt_id}/${t.provider}/server`).sort());

    const repair = await repairMissing(deps, { runDate, triggeredBy: 'test' });
    expect(repair.tasks).toBe(failed.length);
    const again = await startWorker(deps, { adapters, concurrency: 32, drain: true }).done;
    expect(again).toMatchObject({ succeeded: failed.length, failed: 0 });
    const after = await coverage(deps, runDate);
    expect(after.units.missing).toBe(0);
    expect(after.ratios.fullPrompts.numerator).toBe(after.ratios.fullPrompts.denominator);
    expect(after.summary.overallHealth).toBe('HEALTHY');
    expect(await duplicateSuccesses(database.db)).toEqual([]);
    expect(await inexactJobs(database.db)).toEqual([]);
  });

  it('fences completion: a worker whose task was requeued and taken over completes nothing', async () => {
    await seedSmallDemo(database.db);
    await syncTestProviders(deps);
    await triggerToday(deps);
    const providers = await claimableProviders(database.db, ['openai']);
    const claim = (workerId: string, limit: number) =>
      claimTasks(database.db, { workerId, providers, limit, leaseSeconds: 60 }).then((r) => r.tasks);
    const [task] = await claim('worker-a', 1);
    if (!task) throw new Error('nothing claimed');
    expect(task).toMatchObject({ provider: 'openai', attempts: 1 });
    // The claim relaxed its own commit only (SET LOCAL): the session's completions stay durable.
    // (PGlite has one session, the claim's; on a pool this reads one of its sessions.)
    const setting = await queryOne<{ synchronous_commit: string }>(database.db, sql`show synchronous_commit`);
    expect(setting?.synchronous_commit).toBe('on');

    // worker-a stalls past its lease; the reconciler requeues the task and worker-b takes it.
    await database.db.execute(
      sql`update batch_tasks set lease_expires_at = now() - interval '1 second' where id = ${task.id}`,
    );
    expect((await reconcile(database.db, deps.clock())).requeued).toBe(1);
    const taken = await claim('worker-b', 1000);
    expect(taken.map((t) => t.id)).toContain(task.id);

    const success = {
      status: 'success',
      model: 'simulated',
      text: 'late',
      tokensIn: 1,
      tokensOut: 1,
      latencyMs: 5,
    } as const;
    expect(
      await completeTask(database.db, {
        taskId: task.id,
        runDate: task.runDate,
        workerId: 'worker-a',
        outcome: success,
        now: deps.clock(),
      }),
    ).toBeUndefined();
    expect(
      await releaseTask(database.db, {
        taskId: task.id,
        runDate: task.runDate,
        workerId: 'worker-a',
        delayMs: 0,
        refundAttempt: true,
      }),
    ).toBe(false);
    const stored = () =>
      queryRows<{ response_text: string }>(
        database.db,
        sql`select response_text from prompt_provider_responses where batch_task_id = ${task.id}`,
      );
    expect(await stored()).toEqual([]);

    const jobId = await completeTask(database.db, {
      taskId: task.id,
      runDate: task.runDate,
      workerId: 'worker-b',
      outcome: { ...success, text: 'on time' },
      now: deps.clock(),
    });
    expect(jobId).toBe(task.batchJobId);
    expect(await stored()).toEqual([{ response_text: 'on time' }]);
    const row = await queryOne<{ status: string; attempts: number; locked_by: string }>(
      database.db,
      sql`select status, attempts, locked_by from batch_tasks where id = ${task.id}`,
    );
    expect(row).toEqual({ status: 'completed', attempts: 2, locked_by: 'worker-b' });
  });

  it('honours a 429 with Retry-After 2 s: no call to that provider meanwhile, no attempt burned, pause seen by all', async () => {
    await seedSmallDemo(database.db);
    await syncTestProviders(deps);
    await triggerToday(deps);
    const calls: RecordedCall[] = [];
    const ideal = createSimulatedAdapter('openai', 'ideal');
    let first = true;
    const limited: ProviderAdapter = {
      ...ideal,
      ask: async (prompt, options) => {
        if (first) {
          first = false;
          throw new ProviderError('rate_limited', '429 Too Many Requests', {
            status: 429,
            retryAfterMs: 2_000,
          });
        }
        return ideal.ask(prompt, options);
      },
    };
    const worker = startWorker(deps, {
      adapters: new Map([['openai', recording(limited, calls)]]),
      concurrency: 1,
      drain: true,
    });
    await waitUntil(async () => {
      const row = await queryOne<{ reason: string | null }>(
        database.db,
        sql`select pause_reason as reason from providers where name = 'openai'`,
      );
      return row?.reason?.startsWith('rate_limited:') ?? false;
    }, 10_000);
    const pause = await queryOne<{ until: Date }>(
      database.db,
      sql`select paused_until as until from providers where name = 'openai'`,
    );
    const summary = await worker.done;

    const [limitedCall, ...rest] = calls;
    expect(limitedCall?.outcome).toBe('rate_limited');
    if (!limitedCall || !pause) throw new Error('no 429 recorded');
    expect(new Date(pause.until).getTime()).toBeGreaterThanOrEqual(limitedCall.endedAt + 2_000);
    expect(rest.length).toBeGreaterThan(0);
    for (const call of rest) expect(call.startedAt).toBeGreaterThanOrEqual(limitedCall.endedAt + 2_000);

    expect(summary).toMatchObject({ retried: 1, failed: 0 });
    const attempts = await queryRows<{ attempts: number; n: number }>(
      database.db,
      sql`select attempts, count(*)::int as n from batch_tasks where provider = 'openai' group by attempts`,
    );
    // Every openai task, the one that met the 429 included, used exactly one attempt.
    expect(attempts).toEqual([{ attempts: 1, n: rest.length }]);
    const provider = await queryOne<{ paused_until: Date | null; pause_reason: string | null }>(
      database.db,
      sql`select paused_until, pause_reason from providers where name = 'openai'`,
    );
    expect(provider).toEqual({ paused_until: null, pause_reason: null });
  });

  it('fails an auth error at once and pauses the provider with a reason the report shows', async () => {
    await seedSmallDemo(database.db);
    await syncTestProviders(deps);
    const runDate = await triggerToday(deps);
    const summary = await startWorker(deps, {
      adapters: simulatedAdapters('outage', FAST),
      concurrency: 8,
      drain: true,
      skipPaused: true,
    }).done;
    expect(summary.failed).toBeGreaterThan(0);

    const anthropic = await queryRows<{
      status: string;
      attempts: number;
      error_class: string | null;
      n: number;
    }>(
      database.db,
      sql`select status, attempts, error_class, count(*)::int as n from batch_tasks
          where provider = 'anthropic' group by status, attempts, error_class order by status`,
    );
    const failed = anthropic.filter((r) => r.status === 'failed');
    expect(failed.length).toBe(1);
    expect(failed[0]).toMatchObject({ attempts: 1, error_class: 'auth' });
    // The rest wait untouched behind the pause; the drain does not wait 15 minutes for them.
    expect(anthropic.filter((r) => r.status !== 'failed')).toEqual([
      { status: 'pending', attempts: 0, error_class: null, n: 17 - (failed[0]?.n ?? 0) },
    ]);
    const provider = await queryOne<{ paused_until: Date; pause_reason: string }>(
      database.db,
      sql`select paused_until, pause_reason from providers where name = 'anthropic'`,
    );
    expect(provider?.pause_reason).toBe('auth: invalid x-api-key');
    expect(new Date(provider?.paused_until ?? 0).getTime()).toBeGreaterThan(Date.now() + 10 * 60_000);

    const report = await coverage(deps, runDate);
    expect(report.providers.find((p) => p.provider === 'anthropic')?.pauseReason).toBe(
      'auth: invalid x-api-key',
    );
    expect(formatCoverageReport(report)).toMatch(/anthropic .*PAUSED: auth: invalid x-api-key/);
  });

  it('on stop() releases the calls still in flight after the grace period, without burning their attempt', async () => {
    await seedSmallDemo(database.db);
    await syncTestProviders(deps);
    await triggerToday(deps);
    const worker = startWorker(deps, {
      adapters: simulatedAdapters('ideal', { latencyMs: { min: 60_000, max: 60_000 } }),
      concurrency: 4,
      graceMs: 100,
    });
    const processing = async () =>
      (
        await queryOne<{ n: number }>(
          database.db,
          sql`select count(*)::int as n from batch_tasks where status = 'processing'`,
        )
      )?.n ?? 0;
    await waitUntil(async () => (await processing()) === 4, 10_000);
    await worker.stop();
    const summary = await worker.done;
    expect(summary).toMatchObject({ claimed: 4, released: 4, succeeded: 0 });
    expect(await processing()).toBe(0);
    const touched = await queryOne<{ n: number }>(
      database.db,
      sql`select count(*)::int as n from batch_tasks where attempts > 0 or locked_by is not null`,
    );
    expect(touched?.n).toBe(0);
  });
});

describe.each(sharedBackends())('worker on $name when the database drops every connection', (backend) => {
  let database: TestDatabase;
  beforeAll(async () => {
    database = await backend.create();
  });
  afterAll(() => database.close());

  it('logs, waits and carries on: the night still reaches 100 % with no duplicate', async () => {
    const logLines: string[] = [];
    const destination = new Writable({
      write(chunk, _encoding, callback) {
        logLines.push(String(chunk));
        callback();
      },
    });
    const failureLogged = () =>
      logLines.some((line) => /database (call|write) failed|connection lost/.test(line));
    const deps = { ...workerDeps(database.db), logger: createLogger({ level: 'warn', destination }) };
    await seedSmallDemo(database.db);
    await syncTestProviders(deps);
    const runDate = await triggerToday(deps);
    const worker = startWorker(deps, {
      adapters: simulatedAdapters('ideal', { latencyMs: { min: 20, max: 40 } }),
      concurrency: 8,
      drain: true,
      dbRetryMs: 100,
    });
    const admin = new pg.Client({ connectionString: postgresUrl });
    await admin.connect();
    try {
      const dbName = new URL(database.url ?? '').pathname.slice(1);
      // The test's own pooled connections are cut too: a failed look counts as "not yet".
      const completed = async (n: number) =>
        queryOne<{ n: number }>(
          database.db,
          sql`select count(*)::int as n from batch_tasks where status = 'completed'`,
        )
          .then((row) => (row?.n ?? 0) >= n)
          .catch(() => false);
      const cutEveryConnection = () =>
        admin.query(
          'select pg_terminate_backend(pid) from pg_stat_activity where datname = $1 and pid <> pg_backend_pid()',
          [dbName],
        );
      for (const threshold of [20, 60]) {
        await waitUntil(() => completed(threshold), 30_000);
        await cutEveryConnection();
      }
      // A cut that finds every pooled connection idle heals silently (the pool just reconnects), and
      // on a busy machine both cuts can land so. Cut again until one meets a query in flight.
      await waitUntil(async () => {
        if (failureLogged()) return true;
        await cutEveryConnection();
        await setTimeout(50);
        return failureLogged();
      }, 30_000);
    } finally {
      await admin.end();
    }
    await worker.done;
    // The worker did meet the cut (it logged it) and still finished the night.
    expect(failureLogged()).toBe(true);
    const report = await coverage(deps, runDate);
    expect(report.units).toMatchObject({ expected: DEMO_UNITS, missing: 0 });
    expect(await duplicateSuccesses(database.db)).toEqual([]);
    expect(await inexactJobs(database.db)).toEqual([]);
  });
});

describe('sched worker', () => {
  it('drains an empty embedded database, prints its summary and exits 0', async () => {
    const result = await sched(['worker', '--drain'], {
      PGLITE_DIR: 'memory://',
      SIMULATED_PROFILE: 'ideal',
    });
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/^worker \S+: claimed 0, succeeded 0, failed 0, retried 0, released 0\n$/);
  });

  it('answers a bad flag with its usage and exit code 2', async () => {
    const result = await sched(['worker', '--fast'], { PGLITE_DIR: 'memory://' });
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('usage: sched worker [--drain [--skip-paused]]');
  });
});
