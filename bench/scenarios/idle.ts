import { Logger, runMigrations } from 'graphile-worker';
import pg from 'pg';
import type { Scenario } from '../context.ts';
import { adminQuery, type BenchDb, benchEnv, openPostgresBench } from '../databases.ts';
import { fmt, sleep, waitUntil } from '../measure.ts';
import { freePort, startSched } from '../processes.ts';
import { QueueChild } from '../queue-child.ts';

/**
 * What a process costs the database while no night runs: transactions committed (and rolled
 * back) per minute in a database of its own (pg_stat_database, read from the maintenance
 * database so the bench's reads do not count), for a `sched worker`, a headless `sched serve`
 * and, as the reference, graphile-worker's runner at the same concurrency. All three run at
 * once, each on its own empty database, after their start-up has settled.
 */

async function transactions(database: string): Promise<number> {
  // Each read is its own transaction: pg_stat_database is re-read, not served from a snapshot.
  const result = await adminQuery(
    'select (xact_commit + xact_rollback)::float8 as n from pg_stat_database where datname = $1',
    [database],
  );
  return Number(result.rows[0]?.n ?? 0);
}

/** Waits until the process has a row in `workers` (its workers started), then closes the connection. */
async function workersUp(url: string): Promise<void> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    await waitUntil(async () => (await client.query('select 1 from workers limit 1')).rowCount === 1, {
      everyMs: 200,
      timeoutMs: 120_000,
      what: 'the process starting its workers',
    });
  } finally {
    await client.end();
  }
}

interface Subject {
  label: string;
  bench: BenchDb;
  start(): Promise<{ stop(): Promise<void> }>;
}

async function perMinute(
  subject: Subject,
  windowMs: number,
  settleMs: number,
): Promise<{ rate: number; stop(): Promise<void> }> {
  const running = await subject.start();
  await sleep(settleMs);
  const name = new URL(subject.bench.url ?? '').pathname.slice(1);
  const before = await transactions(name);
  await sleep(windowMs);
  const after = await transactions(name);
  return { rate: ((after - before) * 60_000) / windowMs, stop: () => running.stop() };
}

export const idleCost: Scenario = {
  name: 'idle',
  summary: 'transactions per minute while no night runs: sched worker, sched serve, graphile-worker',
  async run(ctx) {
    const windowMs = ctx.sizes.idle.windowSeconds * 1000;
    const benches: BenchDb[] = [];
    const open = async (label: string) => {
      const bench = await openPostgresBench(label);
      // The bench's own connections would count in the window.
      await bench.database.close();
      benches.push(bench);
      return bench;
    };
    const env = (bench: BenchDb) => ({
      ...benchEnv({ WORKER_CONCURRENCY: '8' }),
      DATABASE_URL: bench.url ?? '',
    });
    let child: QueueChild | undefined;
    try {
      const subjects: Subject[] = [
        {
          label: 'sched worker',
          bench: await open('idle_worker'),
          async start() {
            const worker = startSched(['worker'], env(this.bench));
            await workersUp(this.bench.url ?? '');
            return worker;
          },
        },
        {
          label: 'sched serve',
          bench: await open('idle_serve'),
          async start() {
            const port = String(await freePort());
            const serve = startSched(['serve'], { ...env(this.bench), PORT: port });
            await workersUp(this.bench.url ?? '');
            return serve;
          },
        },
        {
          label: 'graphile-worker',
          bench: await open('idle_graphile'),
          async start() {
            const url = this.bench.url ?? '';
            await runMigrations({ connectionString: url, logger: new Logger(() => () => {}) });
            child = await QueueChild.spawn();
            await child.request({ type: 'open', url, env: benchEnv() });
            await child.request({ type: 'start', side: 'graphile', concurrency: 8 });
            const started = child;
            return { stop: () => started.request({ type: 'stop' }) };
          },
        },
      ];
      ctx.log(`idle: three processes, ${ctx.sizes.idle.windowSeconds} s window`);
      const measured = await Promise.all(
        subjects.map((s) => perMinute(s, windowMs, ctx.sizes.idle.settleSeconds * 1000)),
      );
      await Promise.all(measured.map((m) => m.stop()));
      const reference = measured[2]?.rate ?? Number.NaN;
      for (const [i, subject] of subjects.slice(0, 2).entries()) {
        const rate = measured[i]?.rate ?? Number.NaN;
        ctx.emit({
          scenario: 'idle',
          backend: 'postgres',
          case: `${subject.label}, no night, c=8`,
          product: `${fmt.count(rate)}/min`,
          productValue: rate,
          reference: `graphile-worker ${fmt.count(reference)}/min`,
          referenceValue: reference,
          ratio: rate / reference,
          ratioMeaning:
            'idle: transactions per minute of the sched-bot process / of an idle graphile-worker runner (lower is better)',
          note: `${ctx.sizes.idle.windowSeconds} s window after ${ctx.sizes.idle.settleSeconds} s to settle`,
        });
      }
    } finally {
      await child?.exit();
      for (const bench of benches) await bench.close();
    }
  },
};
