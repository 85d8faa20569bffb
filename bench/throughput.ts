import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { sql } from 'drizzle-orm';
import type { Deps } from '../src/context.ts';
import { type Db, queryOne } from '../src/db/client.ts';
import { createSimulatedAdapter } from '../src/providers/simulated.ts';
import { PROVIDER_NAMES } from '../src/providers/types.ts';
import { startWorker } from '../src/scheduler/worker.ts';

export interface Throughput {
  tasks: number;
  perSecond: number;
}

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export async function completedCount(db: Db): Promise<number> {
  const row = await queryOne<{ n: number }>(
    db,
    sql`select count(*)::int as n from batch_tasks where status = 'completed'`,
  );
  return row?.n ?? 0;
}

/** Workers in this process with `ideal` providers for a fixed window: tasks completed per second. */
export async function inProcessThroughput(
  deps: Deps,
  options: { workers: number; concurrency: number; windowMs: number },
): Promise<Throughput> {
  const before = await completedCount(deps.db);
  const start = performance.now();
  const workers = Array.from({ length: options.workers }, () =>
    startWorker(deps, {
      adapters: new Map(PROVIDER_NAMES.map((name) => [name, createSimulatedAdapter(name, 'ideal')])),
      concurrency: options.concurrency,
    }),
  );
  await sleep(options.windowMs);
  await Promise.all(workers.map((w) => w.stop()));
  const elapsed = performance.now() - start;
  const tasks = (await completedCount(deps.db)) - before;
  return { tasks, perSecond: (tasks * 1000) / elapsed };
}

/**
 * `sched worker` processes on PostgreSQL: the window opens once they are claiming (start-up and
 * migrations are not counted) and the rate is read from the database.
 */
export async function processThroughput(
  db: Db,
  url: string,
  env: Record<string, string>,
  options: { processes: number; concurrency: number; windowMs: number },
): Promise<Throughput> {
  // Tasks claimed at least once: the workers have started calling.
  const calls = async () =>
    (await queryOne<{ n: number }>(db, sql`select count(*)::int as n from batch_tasks where attempts > 0`))
      ?.n ?? 0;
  const callsBefore = await calls();
  const children = Array.from({ length: options.processes }, () =>
    spawn(process.execPath, ['bin/sched.js', 'worker'], {
      cwd: ROOT,
      env: {
        PATH: process.env.PATH ?? '',
        HOME: process.env.HOME ?? '',
        ...env,
        DATABASE_URL: url,
        WORKER_CONCURRENCY: String(options.concurrency),
      },
      stdio: 'ignore',
    }),
  );
  const exited = children.map((child) => new Promise((resolve) => child.on('exit', resolve)));
  try {
    const deadline = Date.now() + 60_000;
    while ((await calls()) === callsBefore && Date.now() < deadline) await sleep(50);
    // Give the slower starter a moment to join before the window opens.
    await sleep(1_000);
    const before = await completedCount(db);
    const start = performance.now();
    await sleep(options.windowMs);
    const tasks = (await completedCount(db)) - before;
    return { tasks, perSecond: (tasks * 1000) / (performance.now() - start) };
  } finally {
    for (const child of children) child.kill('SIGTERM');
    await Promise.all(exited);
  }
}
