import { sql } from 'drizzle-orm';
import { type Db, queryOne } from '../../src/db/client.ts';
import type { BotProcess } from './spawn-bot.ts';
import type { SpawnedWorker } from './spawn-worker.ts';
import { HIGH_LIMITS } from './worker-fixtures.ts';

/**
 * What the fault tests (test/faults) share besides the end-of-night invariants: the environment
 * of the processes they start, and a record of those processes so that a failed test still ends
 * every one of them.
 */

/** A worker or `serve` process on `url`: demo providers (some errors, some stubborn units), high limits. */
export function processEnv(url: string, extra: Record<string, string> = {}): Record<string, string> {
  return { DATABASE_URL: url, SIMULATED_PROFILE: 'demo', ...HIGH_LIMITS, ...extra };
}

type Spawned = SpawnedWorker | BotProcess;

/** Every process a test started; `killAll` in afterEach/afterAll ends those still running. */
export class Processes {
  private readonly all: Spawned[] = [];

  add<T extends Spawned>(process: T): T {
    this.all.push(process);
    return process;
  }

  killAll(): void {
    for (const p of this.all) {
      if (p.child.exitCode === null && p.child.signalCode === null) p.child.kill('SIGKILL');
    }
    this.all.length = 0;
  }
}

/** Tasks a worker process holds (`locked_by` is host:pid:random). */
export async function heldBy(db: Db, pid: number): Promise<number> {
  const row = await queryOne<{ n: number }>(
    db,
    sql`select count(*)::int as n from batch_tasks where status = 'processing' and locked_by like ${`%:${pid}:%`}`,
  );
  return row?.n ?? 0;
}
