import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { reportMessage } from '../../src/blocks/report-message.ts';
import { statusMessage } from '../../src/blocks/status-message.ts';
import { formatCoverageReport } from '../../src/blocks/text-report.ts';
import type { Deps } from '../../src/context.ts';
import { queryOne, queryRows } from '../../src/db/client.ts';
import { measureCoverage } from '../../src/scheduler/postcheck.ts';
import { startWorker } from '../../src/scheduler/worker.ts';
import { beatWorker, providersWithoutLiveWorker, removeWorker } from '../../src/store/workers.ts';
import { backends, type TestDatabase } from '../support/db.ts';
import { seedSmallDemo } from '../support/scheduler-deps.ts';
import { simulatedAdapters, triggerToday, waitUntil, workerDeps } from '../support/worker-fixtures.ts';

/**
 * A worker records which providers it can call and keeps a heartbeat; a provider that no live
 * worker can call is named by status, the report and /healthz, and its tasks wait for a worker
 * that can (here: one with only an openai key leaves the other providers' tasks alone).
 */
describe.each(backends())('worker heartbeat on $name', (backend) => {
  let database: TestDatabase;
  let deps: Deps;
  beforeAll(async () => {
    database = await backend.create();
    deps = workerDeps(database.db);
    await seedSmallDemo(database.db);
  });
  afterAll(() => database.close());

  const workerRows = () =>
    queryRows<{ id: string; pid: number; providers: string[]; heartbeat_at: string }>(
      database.db,
      sql`select id, pid, providers, heartbeat_at::text from workers order by id`,
    );
  const pendingOf = async (runDate: string, provider: string) =>
    (
      await queryOne<{ n: number }>(
        database.db,
        sql`select count(*)::int as n from batch_tasks
            where run_date = ${runDate}::date and provider = ${provider} and status = 'pending'`,
      )
    )?.n ?? -1;

  it('beats while it runs, claims only what it can call, names the rest, and leaves on stop', async () => {
    const runDate = await triggerToday(deps);
    const anthropicTasks = await pendingOf(runDate, 'anthropic');
    expect(anthropicTasks).toBeGreaterThan(0);
    const worker = startWorker(deps, {
      workerId: 'openai-only',
      adapters: simulatedAdapters('ideal', { latencyMs: { min: 1, max: 3 } }, ['openai']),
      concurrency: 8,
      heartbeatMs: 100,
    });
    try {
      await waitUntil(async () => (await workerRows()).length === 1);
      const [first] = await workerRows();
      expect(first).toMatchObject({ id: 'openai-only', pid: process.pid, providers: ['openai'] });
      await waitUntil(async () => (await workerRows())[0]?.heartbeat_at !== first?.heartbeat_at);

      await waitUntil(async () => (await pendingOf(runDate, 'openai')) === 0);
      expect(await pendingOf(runDate, 'anthropic')).toBe(anthropicTasks);
      expect(await providersWithoutLiveWorker(database.db)).toEqual(['anthropic', 'gemini', 'perplexity']);

      const now = new Date();
      const report = await measureCoverage(deps, { runDate, now });
      expect(report.providersWithoutLiveWorker).toEqual(['anthropic', 'gemini', 'perplexity']);
      const line = 'no live worker can call anthropic, gemini, perplexity';
      expect(formatCoverageReport(report)).toContain(`WARNING: ${line}`);
      expect(JSON.stringify(reportMessage({ report, now }).blocks)).toContain(line);
      expect(JSON.stringify(statusMessage({ report, now }).blocks)).toContain(line);
    } finally {
      await worker.stop();
    }
    expect(await workerRows()).toEqual([]);
    expect(await providersWithoutLiveWorker(database.db)).toEqual([
      'anthropic',
      'gemini',
      'openai',
      'perplexity',
    ]);
  });

  it('a report with a live worker for every enabled provider says nothing about workers', async () => {
    const worker = startWorker(deps, {
      workerId: 'all',
      adapters: simulatedAdapters('ideal'),
      concurrency: 1,
    });
    try {
      await waitUntil(async () => (await workerRows()).length === 1);
      const now = new Date();
      const report = await measureCoverage(deps, { runDate: '2025-01-01', now });
      expect(report.providersWithoutLiveWorker).toBeUndefined();
      expect(formatCoverageReport(report)).not.toContain('no live worker');
    } finally {
      await worker.stop();
    }
  });

  it('a beat says whether any lease has run out (database clock), so the worker sweeps only then', async () => {
    const beat = () => beatWorker(database.db, { workerId: 'probe', providers: ['openai'] });
    // One task of the first test's night (whatever state it is in) held by a dead worker.
    const task = await queryOne<{
      id: string;
      status: string;
      attempts: number;
      completed_at: string | null;
    }>(
      database.db,
      sql`select id, status, attempts, completed_at::text from batch_tasks order by id limit 1`,
    );
    if (!task) throw new Error('the first test queued no task');
    const leaseFor = (seconds: number) =>
      database.db.execute(sql`
        update batch_tasks set status = 'processing', locked_by = 'gone:1:dead', completed_at = null,
               lease_expires_at = now() + make_interval(secs => ${seconds})
        where id = ${task.id}`);
    try {
      expect(await beat()).toEqual({ leasesExpired: false });
      await leaseFor(600);
      expect(await beat()).toEqual({ leasesExpired: false });
      await leaseFor(-1);
      expect(await beat()).toEqual({ leasesExpired: true });
      // The beat itself still refreshed the row.
      expect((await workerRows()).map((r) => r.id)).toContain('probe');
    } finally {
      await database.db.execute(sql`update batch_tasks set status = ${task.status}, locked_by = null,
             lease_expires_at = null, attempts = ${task.attempts}::int,
             completed_at = ${task.completed_at}::timestamptz where id = ${task.id}`);
      await removeWorker(database.db, 'probe');
    }
  });
});
