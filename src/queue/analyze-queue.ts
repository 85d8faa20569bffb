import { sql } from 'drizzle-orm';
import type { Db } from '../db/client.ts';
import { partitionName } from './queue-partitions.ts';

/**
 * Fresh planner statistics for the task table, once a night's fan-out has committed. Tonight's
 * tasks arrive as one block of hundreds of thousands of rows on top of millions of older ones:
 * under autovacuum's analyze threshold (a tenth of the table) on PostgreSQL, and PGlite runs no
 * autovacuum at all. Until they are analysed the planner takes tonight for empty, and picks plans
 * for a handful of rows. Seen with 30 nights of history on PGlite: the worker's claims and
 * completions ran about 9 times slower (150 tasks/s against 1,300). ANALYZE reads a fixed sample
 * (30,000 rows at the default statistics target) whatever the table's size, and only the columns
 * a night changes are analysed: which night a task belongs to, and its status. The fan-out waits
 * for it (25-30 ms at 10,000 tasks on PGlite for the whole table, 8 ms for these two columns).
 * Only the night's partition: the parent's ANALYZE would sample every night's partition again.
 */
export async function analyzeQueue(db: Db, runDate: string): Promise<void> {
  await db.execute(sql`analyze ${sql.identifier(partitionName('batch_tasks', runDate))} (run_date, status)`);
}
