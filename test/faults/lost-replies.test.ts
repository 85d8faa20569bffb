import type { webApi } from '@slack/bolt';
import { type SQL, sql } from 'drizzle-orm';
import { PgDialect } from 'drizzle-orm/pg-core';
import pg from 'pg';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { LocalWebApi } from '../../src/console/local-web-api.ts';
import type { Deps } from '../../src/context.ts';
import { type Db, queryOne } from '../../src/db/client.ts';
import { silentLogger } from '../../src/logger.ts';
import { postOrUpdateReport, shareReport } from '../../src/report/report-poster.ts';
import { slackNightReporter, webClientFor } from '../../src/report/slack-night-reporter.ts';
import { startWorker } from '../../src/scheduler/worker.ts';
import { runDateOf } from '../../src/time/business-day.ts';
import { backends, type TestDatabase, truncateAll } from '../support/db.ts';
import { BOT_TOKEN, harnessConfig, nightWithFailures, REPORT_CHANNEL } from '../support/fake-slack.ts';
import { expectNightInvariants } from '../support/night-invariants.ts';
import { DEMO_UNITS, seedSmallDemo } from '../support/scheduler-deps.ts';
import {
  simulatedAdapters,
  syncTestProviders,
  triggerToday,
  workerDeps,
} from '../support/worker-fixtures.ts';

/**
 * The reply to a committed write is lost: the connection drops after the server committed the
 * statement and before the client read the answer (what a restart or a network cut does to the
 * write in flight). The worker cannot tell it from a write that never ran, so it writes again;
 * its second completion must see that the first one landed, count the task as done and close
 * the job, or the night ends with jobs that stay open and a summary that calls its work lost.
 */

const dialect = new PgDialect();

/**
 * `db`, except that the first completion of each task commits and then "loses" its reply: the
 * statement that writes responses fails after it ran, once for every task id it carries that no
 * earlier lost statement carried. The worker batches completions (complete-task.ts), so the
 * statement's first parameter is the array of its task ids. Both paths a statement can take are
 * covered: drizzle's `execute` (PGlite) and the pool's named prepared statements (PostgreSQL).
 */
function losingReplies(db: Db, pattern: RegExp): { db: Db; lost: () => number } {
  const lostTasks = new Set<string>();
  const afterCommit = (text: string, params: readonly unknown[], rows: unknown[] | undefined) => {
    const ids = Array.isArray(params[0]) ? params[0].map(String) : [];
    const fresh = ids.filter((id) => !lostTasks.has(id));
    if (!pattern.test(text) || (rows ?? []).length === 0 || fresh.length === 0) return;
    for (const id of ids) lostTasks.add(id);
    throw new Error('Connection terminated unexpectedly');
  };
  const faulty = Object.create(db) as Db;
  faulty.execute = (async (query: SQL) => {
    const result = await db.execute(query);
    const { sql: text, params } = dialect.sqlToQuery(query);
    afterCommit(text, params, (result as unknown as { rows?: unknown[] }).rows);
    return result;
  }) as Db['execute'];
  const client = (db as unknown as { $client: unknown }).$client;
  if (client instanceof pg.Pool) {
    const pool = Object.create(client) as pg.Pool;
    pool.query = (async (config: pg.QueryConfig) => {
      const result = await client.query(config);
      afterCommit(config.text, config.values ?? [], result.rows);
      return result;
    }) as unknown as pg.Pool['query'];
    Object.defineProperty(faulty, '$client', { value: pool });
  }
  return { db: faulty, lost: () => lostTasks.size };
}

describe.each(backends())('a worker whose completion replies are lost on $name', (backend) => {
  let database: TestDatabase;
  let deps: Deps;
  beforeAll(async () => {
    database = await backend.create();
  });
  afterAll(() => database.close());
  beforeEach(async () => {
    await truncateAll(database);
    deps = workerDeps(database.db);
    await seedSmallDemo(database.db);
    await syncTestProviders(deps);
  });

  it('counts each committed completion once and closes every job', async () => {
    const runDate = await triggerToday(deps);
    const faulty = losingReplies(database.db, /insert into prompt_provider_responses/);
    const summary = await startWorker(
      { ...deps, db: faulty.db },
      {
        adapters: simulatedAdapters('ideal', { latencyMs: { min: 1, max: 3 } }),
        concurrency: 8,
        drain: true,
        dbRetryMs: 10,
      },
    ).done;
    expect(faulty.lost()).toBe(DEMO_UNITS);
    await expectNightInvariants(database.db, runDate, { expectedUnits: DEMO_UNITS });
    expect(summary).toMatchObject({ succeeded: DEMO_UNITS, failed: 0, lost: 0 });
  });
});

/**
 * Slack stores a post and its answer is lost (the request times out, or the connection resets
 * after Slack acted). The client cannot tell it from a post that never landed; sending it again
 * would put a second "Nightly run" in the channel, and slack_reports would keep only the second,
 * so the first would never be edited again. The bot looks for the message (its metadata names the
 * night and its kind) and adopts it: exactly one message, the one recorded.
 */
describe.each(backends())('Slack posts whose answer is lost on $name', (backend) => {
  let database: TestDatabase;
  let api: LocalWebApi;
  let deps: Deps;
  let client: webApi.WebClient;
  let runDate: string;
  beforeAll(async () => {
    database = await backend.create();
    api = new LocalWebApi({ token: BOT_TOKEN });
    await api.start();
    deps = {
      db: database.db,
      config: harnessConfig(api.url, { SLACK_TIMEOUT_MS: '1000' }),
      logger: silentLogger(),
      clock: () => new Date(),
    };
    // The client every step outside the Bolt app uses (CLI steps, `sched worker`).
    client = (await webClientFor(deps.config)) as webApi.WebClient;
    runDate = runDateOf(deps.clock(), deps.config.timezone);
  });
  beforeEach(async () => {
    await truncateAll(database);
    api.clearFaults();
    api.breakHungConnections();
    api.messages.clear();
    api.calls.length = 0;
  });
  afterAll(async () => {
    api.breakHungConnections();
    await api?.stop();
    await database?.close();
  });

  const reports = () => [...api.messages.values()].filter((m) => m.text.includes('Nightly run'));
  const recordedTs = async () =>
    (
      await queryOne<{ ts: string | null }>(
        database.db,
        sql`select ts from slack_reports where run_date = ${runDate}::date and channel = ${REPORT_CHANNEL}`,
      )
    )?.ts;

  it.each(['lose-reply', 'reset'] as const)(
    'posts the report once when the reply is lost (%s)',
    async (mode) => {
      const { report } = await nightWithFailures(deps, runDate);
      api.faultNext('chat.postMessage', { mode, times: 1 });
      const posted = await postOrUpdateReport({ ...deps, client }, { runDate, report });
      expect(reports()).toHaveLength(1);
      expect(posted?.ts).toBe(reports()[0]?.ts);
      expect(await recordedTs()).toBe(reports()[0]?.ts);
      // The next postcheck edits that one message.
      expect((await postOrUpdateReport({ ...deps, client }, { runDate, report }))?.action).toBe('updated');
      expect(reports()).toHaveLength(1);
    },
  );

  it('tries an edit again when its answer is lost: an edit done twice is the same edit', async () => {
    const { report } = await nightWithFailures(deps, runDate);
    const posted = await postOrUpdateReport({ ...deps, client }, { runDate, report });
    api.faultNext('chat.update', { mode: 'lose-reply', times: 1 });
    expect((await postOrUpdateReport({ ...deps, client }, { runDate, report }))?.action).toBe('updated');
    expect(api.callsTo('chat.update')).toHaveLength(2);
    expect(reports()).toHaveLength(1);
    expect(api.message(REPORT_CHANNEL, String(posted?.ts))?.edits).toBe(2);
  });

  it('posts the report once when Slack answers 429 first', async () => {
    const { report } = await nightWithFailures(deps, runDate);
    api.failNext('chat.postMessage', { error: 'ratelimited', retryAfterSec: 1 });
    const posted = await postOrUpdateReport({ ...deps, client }, { runDate, report });
    expect(api.callsTo('chat.postMessage').map((c) => c.status)).toEqual([429, 200]);
    expect(reports()).toHaveLength(1);
    expect(await recordedTs()).toBe(posted?.ts);
  });

  it('adopts a report whose poster never heard back, on the next try, and never a Share copy', async () => {
    const { report } = await nightWithFailures(deps, runDate);
    const typeOf = (m: { metadata?: unknown }) =>
      (m.metadata as { event_type?: string } | undefined)?.event_type;
    // A Share copy in the report channel, then the night's post: both stored, neither answered,
    // and the lookup after the lost post hangs too, so the step gives up and hands its claim back.
    api.faultNext('chat.postMessage', { mode: 'lose-reply', times: 2 });
    const stop = api.onCall((call) => {
      if (call.method === 'chat.postMessage' && typeOf(call.body) === 'sched_report')
        api.faultNext('conversations.history', { mode: 'hang' });
    });
    await shareReport({ ...deps, client }, { runDate, report, channel: REPORT_CHANNEL }).catch(
      () => undefined,
    );
    await expect(postOrUpdateReport({ ...deps, client }, { runDate, report })).rejects.toThrow();
    stop();
    expect(await recordedTs()).toBeUndefined();
    api.clearFaults();
    api.breakHungConnections();
    // The next try finds the night's message and adopts it; the copy is not the report.
    const posted = await postOrUpdateReport({ ...deps, client }, { runDate, report });
    const copies = reports().filter((m) => typeOf(m) === 'sched_report_copy');
    const night = reports().filter((m) => typeOf(m) === 'sched_report');
    expect(night).toHaveLength(1);
    expect(posted?.ts).toBe(night[0]?.ts);
    expect(posted?.ts).not.toBe(copies[0]?.ts);
  });

  it('posts a late alert and a thread line once when their replies are lost', async () => {
    const reporter = slackNightReporter({ ...deps, client });
    const { report } = await nightWithFailures(deps, runDate);
    const thread = await postOrUpdateReport({ ...deps, client }, { runDate, report });
    api.faultNext('chat.postMessage', { mode: 'lose-reply', times: 2 });
    const late = { step: 'postcheck' as const, runDate, dueAt: new Date(Date.now() - 30 * 60_000) };
    const alert = await reporter.alertLate(late, new Date());
    const line = await reporter.runFinished({
      runId: 7,
      kind: 'repair',
      runDate,
      triggeredBy: 'slack:U0ADMIN01',
      scope: { units: 'missing' },
      org: undefined,
      units: 3,
      done: 3,
      failed: 0,
      night: undefined,
    });
    const alerts = [...api.messages.values()].filter((m) => m.text.includes('Late'));
    const lines = [...api.messages.values()].filter((m) => m.threadTs === thread?.ts);
    expect(alerts).toHaveLength(1);
    expect(alert?.ts).toBe(alerts[0]?.ts);
    expect(lines).toHaveLength(1);
    expect(line?.ts).toBe(lines[0]?.ts);
  });
});
