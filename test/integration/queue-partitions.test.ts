import { sql } from 'drizzle-orm';
import pg from 'pg';
import { describe, expect, it } from 'vitest';
import { openDatabase, queryOne, queryRows } from '../../src/db/client.ts';
import { ensureQueuePartitions } from '../../src/queue/queue-partitions.ts';
import { backends, sharedBackends } from '../support/db.ts';
import { completeAllLive, nightFixture } from '../support/scheduler-deps.ts';

/**
 * One partition per night: a night triggered without one made ahead lands in DEFAULT, and making
 * its partition later moves its rows there, figures unchanged; the trigger makes its own ahead.
 */

const NIGHT = '2026-03-08';
const AT = new Date('2026-03-08T08:00:00Z');

const where = (db: Parameters<typeof queryRows>[0], table: string) =>
  queryRows<{ partition: string; n: number }>(
    db,
    sql`select tableoid::regclass::text as partition, count(*)::int as n
        from ${sql.identifier(table)} where run_date = ${NIGHT}::date group by 1 order by 1`,
  );
const rollup = (db: Parameters<typeof queryRows>[0]) =>
  queryOne<{ n: number }>(
    db,
    sql`select coalesce(sum(succeeded), 0)::int as n from coverage_rollup where run_date = ${NIGHT}::date`,
  );

describe.each(backends())('queue partitions ($name)', (backend) => {
  const night = nightFixture(backend, { trigger: { runDate: NIGHT, at: AT } });

  it('the trigger makes its night and the next ahead', async () => {
    expect(await where(night.db, 'batch_tasks')).toEqual([{ partition: 'batch_tasks_p20260308', n: 118 }]);
    const made = await queryRows<{ name: string }>(
      night.db,
      sql`select c.relname as name from pg_inherits i join pg_class c on c.oid = i.inhrelid
          where i.inhparent = 'prompt_provider_responses'::regclass and c.relname like '%2026030%' order by 1`,
    );
    expect(made.map((m) => m.name)).toEqual([
      'prompt_provider_responses_p20260308',
      'prompt_provider_responses_p20260309',
    ]);
    expect(await ensureQueuePartitions(night.db, NIGHT)).toBe(0);
  });

  it('moves rows out of DEFAULT into a partition made later', async () => {
    await completeAllLive(night.db, NIGHT, AT);
    const succeeded = await rollup(night.db);
    // As if nobody had made the night's partitions: put them back into DEFAULT.
    for (const table of ['batch_tasks', 'prompt_provider_responses']) {
      const part = `${table}_p20260308`;
      await night.db.execute(
        sql`alter table ${sql.identifier(table)} detach partition ${sql.identifier(part)}`,
      );
      await night.db.execute(
        sql`insert into ${sql.identifier(`${table}_default`)} select * from ${sql.identifier(part)}`,
      );
      await night.db.execute(sql`drop table ${sql.identifier(part)}`);
    }
    expect(await where(night.db, 'prompt_provider_responses')).toEqual([
      { partition: 'prompt_provider_responses_default', n: 118 },
    ]);

    expect(await ensureQueuePartitions(night.db, NIGHT, 1)).toBe(2);
    expect(await where(night.db, 'batch_tasks')).toEqual([{ partition: 'batch_tasks_p20260308', n: 118 }]);
    expect(await where(night.db, 'prompt_provider_responses')).toEqual([
      { partition: 'prompt_provider_responses_p20260308', n: 118 },
    ]);
    expect(await rollup(night.db)).toEqual(succeeded);
  });

  // Seen in CI: three `sched serve` starting at once on one PostgreSQL; all but one failed with
  // "relation batch_tasks_p... already exists" and exited.
  it('several processes making the same nights at once all succeed, and one of them makes each', async () => {
    const database = await backend.create();
    try {
      if (!database.url) return; // PGlite: one process, one connection
      const url = database.url;
      const others = await Promise.all([1, 2, 3].map(() => openDatabase({ url })));
      try {
        const made = await Promise.all(others.map((o) => ensureQueuePartitions(o.db, '2027-01-10')));
        expect(made.reduce((a, b) => a + b, 0)).toBe(4);
      } finally {
        await Promise.all(others.map((o) => o.close()));
      }
    } finally {
      await database.close();
    }
  });
});

/**
 * Seen in CI: the console's trigger made a night's partition while workers claimed and completed
 * units, and PostgreSQL cancelled it with "deadlock detected". The maker held a weaker lock on
 * DEFAULT and asked for a stronger one at ATTACH, while a worker that had read DEFAULT asked for
 * its write lock in between: each waited on the other.
 */
describe.each(sharedBackends())('making a partition while a worker holds DEFAULT ($name)', (backend) => {
  it('waits for the worker instead of deadlocking with it', { timeout: 60_000 }, async () => {
    const database = await backend.create();
    const worker = new pg.Client({ connectionString: database.url });
    const maker = await openDatabase({ url: database.url as string });
    await worker.connect();
    try {
      await worker.query('begin');
      await worker.query('select count(*) from batch_tasks_default'); // a claim's read
      const making = ensureQueuePartitions(maker.db, '2027-02-01', 1);
      await waitUntil(async () => {
        const { rows } = await worker.query(
          `select count(*)::int as n from pg_locks
           where not granted and relation = 'batch_tasks_default'::regclass`,
        );
        return rows[0].n > 0;
      });
      // The worker's write within the same transaction: the lock a claim's update takes.
      await worker.query('lock table batch_tasks_default in row exclusive mode');
      await worker.query('commit');
      expect(await making).toBe(2);
    } finally {
      await worker.end();
      await maker.close();
      await database.close();
    }
  });
});

async function waitUntil(condition: () => Promise<boolean>): Promise<void> {
  for (let i = 0; i < 600; i += 1) {
    if (await condition()) return;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error('the partition maker never waited on DEFAULT');
}
