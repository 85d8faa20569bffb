import { sql } from 'drizzle-orm';
import type { Db } from '../../src/db/client.ts';

/**
 * A database that does not answer: a transaction holds ACCESS EXCLUSIVE locks on the tables the
 * handlers read until `release()` is called, so any query on them waits. On PGlite the open
 * transaction also holds the one connection, so every query waits. Used to prove that a handler
 * acknowledged Slack before it touched the database.
 */
export async function holdDatabase(db: Db): Promise<() => Promise<void>> {
  let release: () => void = () => {};
  const released = new Promise<void>((resolve) => {
    release = resolve;
  });
  let locked: () => void = () => {};
  const isLocked = new Promise<void>((resolve) => {
    locked = resolve;
  });
  const done = db.transaction(async (tx) => {
    await tx.execute(
      sql`lock table organizations, prompts, batch_jobs, batch_tasks, scheduler_runs,
          prompt_provider_responses, slack_reports, providers in access exclusive mode`,
    );
    locked();
    await released;
  });
  await Promise.race([isLocked, done]);
  return async () => {
    release();
    await done;
  };
}
