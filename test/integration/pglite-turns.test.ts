import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { queryRows } from '../../src/db/client.ts';
import { TURN_EVERY_MS } from '../../src/db/pglite-turns.ts';
import { backends, type TestDatabase } from '../support/db.ts';

/**
 * PGlite runs statements on the event loop. Seen on main: with statements queued (a worker's
 * 32 slots), PGlite ran them all back to back without the event loop getting a turn, so a
 * Slack command's HTTP request waited for the whole queue (84 s to ack `/sched-status` with a
 * night running on 30 nights of history). Each statement now starts after a turn of the loop.
 */

const pglite = backends().filter((backend) => backend.name === 'pglite');

describe.each(pglite)('statements on $name', (backend) => {
  let database: TestDatabase;
  beforeAll(async () => {
    database = await backend.create();
  });
  afterAll(() => database.close());

  it('give the event loop a turn between queued statements that each run longer than a turn is apart', async () => {
    // A ticker counts the loop's turns; each statement notes the turn it finished in.
    let turn = 0;
    let ticking = true;
    const tick = () => {
      turn += 1;
      if (ticking) setImmediate(tick);
    };
    setImmediate(tick);
    const finishedIn: number[] = [];
    const note = () => finishedIn.push(turn);
    // Each statement sleeps past TURN_EVERY_MS (pg_sleep waits at least that long), so a turn
    // of the loop is due before every next one.
    const seconds = (TURN_EVERY_MS + 1) / 1000;
    const statements = Array.from({ length: 20 }, (_, i) =>
      i % 4 === 3
        ? database.db.transaction(async (tx) => {
            await tx.execute(sql`select 1`);
            await tx.execute(sql`select pg_sleep(${seconds})`);
          })
        : queryRows(database.db, sql`select ${i}::int as i, pg_sleep(${seconds})`),
    ).map((statement) => statement.then(note));
    await Promise.all(statements);
    ticking = false;
    expect(finishedIn).toHaveLength(20);
    // Before: all twenty finished within one turn ([0, 0, ..., 0]).
    expect(new Set(finishedIn).size).toBe(20);
    expect(finishedIn).toEqual([...finishedIn].sort((a, b) => a - b));
  });

  it('keep the order of calls, and a failing statement fails alone', async () => {
    const results = await Promise.allSettled([
      queryRows<{ n: number }>(database.db, sql`select 1::int as n`),
      queryRows(database.db, sql`select * from no_such_table`),
      queryRows<{ n: number }>(database.db, sql`select 3::int as n`),
    ]);
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
    expect(results[2]).toMatchObject({ value: [{ n: 3 }] });
  });
});
