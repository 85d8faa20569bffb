/**
 * `npm run bench`: figures, never assertions. Seeds a large night on embedded PGlite and, when
 * BENCH_DATABASE_URL or TEST_DATABASE_URL is set, on PostgreSQL too, then measures the trigger's
 * fan-out, worker throughput with `ideal` simulated providers (concurrency 8 vs 32, one worker vs
 * two), the postcheck, the audit of the night (and its table scans on PostgreSQL) and the claim latency. Sizes: BENCH_ORGS (2000, PostgreSQL),
 * BENCH_PGLITE_ORGS (150), BENCH_PROMPTS (25), BENCH_SECONDS per throughput window (8),
 * BENCH_POSTCHECK_CAP_MS (60000: the PostgreSQL postcheck is cancelled past it).
 */
import { randomBytes } from 'node:crypto';
import { sql } from 'drizzle-orm';
import pg from 'pg';
import { runAudit } from '../src/audit/run-audit.ts';
import { loadConfig } from '../src/config.ts';
import { type Deps, systemClock } from '../src/context.ts';
import { type Database, openDatabase, queryRows } from '../src/db/client.ts';
import { migrateDatabase } from '../src/db/migrate.ts';
import { seedDemo } from '../src/db/seed-demo.ts';
import { silentLogger } from '../src/logger.ts';
import { ensureProviders } from '../src/providers/sync-providers.ts';
import { PROVIDER_NAMES } from '../src/providers/types.ts';
import { claimableProviders, claimTasks } from '../src/scheduler/claim-tasks.ts';
import { measureCoverage } from '../src/scheduler/postcheck.ts';
import { runTrigger } from '../src/scheduler/trigger.ts';
import { runDateOf } from '../src/time/business-day.ts';
import { printHeader, printRow } from './table.ts';
import { completedCount, inProcessThroughput, processThroughput, type Throughput } from './throughput.ts';

const env = process.env;
const ORGS = Number(env.BENCH_ORGS ?? 2000);
// The embedded database is the one-machine mode (the demo has 28 orgs); its fan-out and
// postcheck grow faster than linearly, so the full size would take most of the time budget.
const PGLITE_ORGS = Number(env.BENCH_PGLITE_ORGS ?? 150);
/** PostgreSQL cancels the postcheck after this long (a figure in itself). */
const POSTCHECK_CAP_MS = Number(env.BENCH_POSTCHECK_CAP_MS ?? 60_000);
const PROMPTS = Number(env.BENCH_PROMPTS ?? 25);
const SECONDS = Number(env.BENCH_SECONDS ?? 8);
const pgAdminUrl = env.BENCH_DATABASE_URL || env.TEST_DATABASE_URL || undefined;

/** Limits out of the way: the bench measures the database path, not a provider's quota. */
export const BENCH_ENV: Record<string, string> = {
  SIMULATED_PROFILE: 'ideal',
  LOG_LEVEL: 'silent',
  ...Object.fromEntries(
    PROVIDER_NAMES.flatMap((p) => [
      [`${p.toUpperCase()}_RPM`, '1000000'],
      [`${p.toUpperCase()}_MAX_CONCURRENCY`, '1000'],
    ]),
  ),
};

async function timed<T>(work: () => Promise<T>): Promise<{ ms: number; result: T }> {
  const start = performance.now();
  const result = await work();
  return { ms: performance.now() - start, result };
}

const seconds = (ms: number) => `${(ms / 1000).toFixed(1)} s`;
const perSecond = (n: number, ms: number) => `${Math.round((n * 1000) / ms).toLocaleString('en-US')}/s`;
const ratio = (a: Throughput, b: Throughput) => `x${(a.perSecond / Math.max(1e-9, b.perSecond)).toFixed(2)}`;

/** The statement timeout a production process runs with (DB_STATEMENT_TIMEOUT_MS default). */
const DEFAULT_STATEMENT_TIMEOUT_MS = loadConfig({}).dbStatementTimeoutMs;

async function benchBackend(
  name: string,
  database: Database,
  url: string | undefined,
  orgs: number,
): Promise<void> {
  const config = loadConfig(BENCH_ENV);
  const deps: Deps = { db: database.db, config, logger: silentLogger(), clock: systemClock };
  // A fresh database: its provider rows come from the bench's environment.
  await ensureProviders(database.db, config);
  /** Runs one measure and prints its line; a failure prints instead of ending the run. */
  const step = async <T>(
    label: string,
    work: () => Promise<T>,
    describe: (result: T, ms: number) => [string, string],
  ) => {
    const started = performance.now();
    try {
      const result = await work();
      printRow([name, label, ...describe(result, performance.now() - started)]);
      return result;
    } catch (error) {
      const cause = error instanceof Error ? String(error.cause ?? error) : String(error);
      printRow([name, label, `failed, ${seconds(performance.now() - started)}`, cause.slice(0, 120)]);
      return undefined;
    }
  };
  // PGlite has no statement timeout; on PostgreSQL a production process would cancel this statement.
  const slow = (ms: number) =>
    url && ms > DEFAULT_STATEMENT_TIMEOUT_MS ? ' (over the default statement timeout)' : '';

  await step(
    'seed',
    () => seedDemo(database.db, { orgs, promptsPerOrg: PROMPTS }),
    (r, ms) => [seconds(ms), `${r.organizations} orgs, ${r.prompts} prompts`],
  );
  const runDate = runDateOf(deps.clock(), config.timezone);
  await step(
    'trigger fan-out',
    () => runTrigger(deps, { runDate, triggeredBy: 'bench', scheduled: false }),
    (r, ms) => {
      const units = r.status === 'triggered' ? r.tasks : 0;
      return [seconds(ms), `${units} units, ${perSecond(units, ms)}${slow(ms)}`];
    },
  );

  const windowMs = SECONDS * 1000;
  const tasksPerSecond = (t: Throughput) => `${t.perSecond.toFixed(0)} tasks/s`;
  const c8 = await step(
    'worker c=8, 1 worker',
    () => inProcessThroughput(deps, { workers: 1, concurrency: 8, windowMs }),
    (t) => [tasksPerSecond(t), `${t.tasks} tasks`],
  );
  const c32 = await step(
    'worker c=32, 1 worker',
    () => inProcessThroughput(deps, { workers: 1, concurrency: 32, windowMs }),
    (t) => [tasksPerSecond(t), c8 ? `${ratio(t, c8)} vs c=8` : ''],
  );
  await step(
    url ? 'worker c=32, 2 processes' : 'worker c=32, 2 workers in 1 process',
    () =>
      url
        ? processThroughput(database.db, url, BENCH_ENV, { processes: 2, concurrency: 32, windowMs })
        : inProcessThroughput(deps, { workers: 2, concurrency: 32, windowMs }),
    (t) =>
      t.tasks === 0
        ? ['n/a', 'the night was already done: raise BENCH_ORGS / BENCH_PGLITE_ORGS']
        : [tasksPerSecond(t), c32 ? `${ratio(t, c32)} vs 1 worker` : ''],
  );

  const done = await completedCount(database.db);
  await step(
    'postcheck (measure coverage)',
    () =>
      database.withConnection(async (db) => {
        // Capped so one slow statement cannot eat the whole run: a cancel is reported as a figure.
        if (url) await db.execute(sql.raw(`set statement_timeout = ${POSTCHECK_CAP_MS}`));
        try {
          const options = { timezone: config.timezone, thresholds: config.thresholds };
          return await measureCoverage(db, runDate, options, new Date());
        } finally {
          if (url) await db.execute(sql`reset statement_timeout`);
        }
      }),
    (r, ms) => [seconds(ms), `${r.units.expected} units, ${done} done${slow(ms)}`],
  );

  // The books of the same night: the audit's cost should be index probes, not table scans.
  const scansBefore = url ? await tableScans(database) : undefined;
  await step(
    'audit (one night)',
    () => runAudit(deps, { runDates: [runDate] }),
    (r, ms) => [seconds(ms), `${r.violations.length} violations`],
  );
  if (scansBefore) {
    const after = await tableScans(database);
    printRow([
      name,
      'audit: scans of the big tables',
      `${after.idx - scansBefore.idx} index`,
      `${after.seq - scansBefore.seq} sequential (batch_tasks, batch_jobs, responses)`,
    ]);
  }

  await step(
    'claim latency (8 tasks, 4 providers)',
    () => claimLatencies(database),
    (latencies) => {
      const pct = (p: number) =>
        (latencies[Math.min(latencies.length - 1, Math.floor(latencies.length * p))] ?? 0).toFixed(1);
      return [`p50 ${pct(0.5)} ms`, `p95 ${pct(0.95)} ms`];
    },
  );
}

/** Index and sequential scans so far on the tables that grow with every night (PostgreSQL). */
async function tableScans(database: Database): Promise<{ idx: number; seq: number }> {
  // The statistics collector publishes a backend's counts when it goes idle, at most a second late.
  await new Promise((resolve) => setTimeout(resolve, 1_100));
  const rows = await database.withConnection(async (db) => {
    await db.execute(sql`select pg_stat_clear_snapshot()`);
    return queryRows<{ idx: string; seq: string }>(
      db,
      sql`select coalesce(sum(idx_scan), 0)::text as idx, coalesce(sum(seq_scan), 0)::text as seq
          from pg_stat_user_tables
          where relname in ('batch_tasks', 'batch_jobs', 'prompt_provider_responses')`,
    );
  });
  return { idx: Number(rows[0]?.idx ?? 0), seq: Number(rows[0]?.seq ?? 0) };
}

/** 40 claim rounds of 8 tasks over the four providers, sorted durations in ms. */
async function claimLatencies(database: Database): Promise<number[]> {
  const providers = await claimableProviders(database.db, PROVIDER_NAMES);
  const latencies: number[] = [];
  for (let i = 0; i < 40; i++) {
    const { ms } = await timed(() =>
      claimTasks(database.db, {
        workerId: 'bench-claims',
        providers,
        limit: 8,
        leaseSeconds: 60,
      }),
    );
    latencies.push(ms);
  }
  return latencies.sort((a, b) => a - b);
}

async function main(): Promise<void> {
  const started = performance.now();
  console.log(
    `sched-bot bench: ${PROMPTS} prompts per org; PGlite ${PGLITE_ORGS} orgs, PostgreSQL ${ORGS} orgs; ` +
      `${SECONDS} s per throughput window\n`,
  );
  printHeader();

  const lite = await openDatabase({ pgliteDir: 'memory://' });
  try {
    await migrateDatabase(lite);
    await benchBackend('pglite', lite, undefined, PGLITE_ORGS);
  } finally {
    await lite.close();
  }

  if (pgAdminUrl) {
    const dbName = `sched_bench_${process.pid}_${randomBytes(3).toString('hex')}`;
    const admin = new pg.Client({ connectionString: pgAdminUrl });
    await admin.connect();
    await admin.query(`create database ${dbName}`);
    const url = new URL(pgAdminUrl);
    url.pathname = `/${dbName}`;
    // A long statement timeout: the bench reports a slow step rather than dying on it.
    const database = await openDatabase({ url: url.toString(), poolSize: 20, statementTimeoutMs: 900_000 });
    try {
      await migrateDatabase(database);
      await benchBackend('postgres', database, url.toString(), ORGS);
    } finally {
      await database.close();
      await admin.query(`drop database if exists ${dbName} with (force)`);
      await admin.end();
    }
  } else {
    printRow(['postgres', 'skipped', '-', 'set BENCH_DATABASE_URL or TEST_DATABASE_URL']);
  }

  console.log(`\ntotal ${seconds(performance.now() - started)}`);
}

await main();
