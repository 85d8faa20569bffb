/**
 * `npx tsx bench/profile-queue.ts [tasks] [concurrency] [processes]`: where the queue's time goes.
 * Whole nights (A B A B) of sched-bot and graphile-worker, as the queue scenario runs them, while
 * pg_stat_activity of the night's database is sampled every 20 ms: per side, the share of samples
 * in each state and wait event, and which statement was waiting. BENCHMARKS.md reads the c=8 miss
 * from it. Not part of `npm run bench`: a profile, not a figure.
 */

import { setTimeout as sleep } from 'node:timers/promises';
import { sql } from 'drizzle-orm';
import { Logger, runMigrations } from 'graphile-worker';
import pg from 'pg';
import { queryOne } from '../src/db/client.ts';
import { runTrigger } from '../src/scheduler/trigger.ts';
import { ADMIN_URL, benchEnv, daysBefore, openPostgresBench, seedUnits } from './databases.ts';
import { QueueChild, type Side } from './queue-child.ts';

const TASKS = Number(process.argv[2] ?? 10_000);
const CONCURRENCY = Number(process.argv[3] ?? 8);
const PROCESSES = Number(process.argv[4] ?? 1);
const bench = await openPostgresBench('profile');
const dbName = new URL(bench.url ?? '').pathname.slice(1);
await seedUnits(bench.db, TASKS);
await runMigrations({ connectionString: bench.url, logger: new Logger(() => () => {}) });
const children = await Promise.all(Array.from({ length: PROCESSES }, () => QueueChild.spawn()));
for (const c of children) await c.request({ type: 'open', url: bench.url ?? '', env: benchEnv() });
const admin = new pg.Client({ connectionString: ADMIN_URL });
await admin.connect();

async function night(side: Side, n: number) {
  if (side === 'product')
    await runTrigger(bench.deps, {
      runDate: daysBefore(bench.config, n),
      triggeredBy: 'p',
      scheduled: false,
    });
  else
    await bench.db.execute(sql`select count(*) from graphile_worker.add_jobs(array(
      select row('noop', '{}'::json, null, null, null, null, null, null)::graphile_worker.job_spec
      from generate_series(1, ${TASKS}::int)))`);
  const samples = new Map<string, number>();
  let total = 0;
  const start = performance.now();
  await Promise.all(children.map((c) => c.request({ type: 'start', side, concurrency: CONCURRENCY })));
  const emptySql =
    side === 'product'
      ? `select not exists (select 1 from batch_tasks where status in ('pending','processing')) as done`
      : 'select not exists (select 1 from graphile_worker._private_jobs) as done';
  for (;;) {
    const rows = await admin.query(
      `select state, coalesce(wait_event_type, 'CPU') as t, coalesce(wait_event, '-') as e, left(regexp_replace(query, '\\s+', ' ', 'g'), 60) as q
       from pg_stat_activity where datname = $1 and pid <> pg_backend_pid() and backend_type = 'client backend'`,
      [dbName],
    );
    for (const r of rows.rows) {
      const key = r.state === 'active' ? `active ${r.t}:${r.e} | ${r.q}` : `${r.state} ${r.t}:${r.e}`;
      samples.set(key, (samples.get(key) ?? 0) + 1);
    }
    total += 1;
    if (total % 10 === 0 && (await queryOne<{ done: boolean }>(bench.db, sql.raw(emptySql)))?.done) break;
    await sleep(20);
  }
  const ms = performance.now() - start;
  await Promise.all(children.map((c) => c.request({ type: 'stop' })));
  console.log(
    `\n== ${side}: ${TASKS} in ${(ms / 1000).toFixed(2)} s = ${Math.round((TASKS * 1000) / ms)}/s; ${total} samples`,
  );
  for (const [k, v] of [...samples].sort((a, b) => b[1] - a[1]).slice(0, 14))
    console.log(`${String(v).padStart(6)}  ${(v / total).toFixed(2)}  ${k}`);
}
try {
  await night('product', 1);
  await night('graphile', 0);
  await night('product', 2);
  await night('graphile', 0);
} finally {
  for (const c of children) await c.request({ type: 'close' }).catch(() => undefined);
  await Promise.all(children.map((c) => c.exit()));
  await admin.end();
  await bench.close();
}
