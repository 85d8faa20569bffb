import { sql } from 'drizzle-orm';
import type { Db } from '../db/client.ts';
import { partitionName } from './queue-partitions.ts';

/**
 * Fresh planner statistics for the task table once a night's fan-out has committed. Tonight's
 * block of rows is under autovacuum's analyze threshold on PostgreSQL (and PGlite has no
 * autovacuum), so without this the planner takes tonight for empty and picks plans for a handful
 * of rows. Only the two columns a night changes are analysed; ANALYZE reads a fixed sample.
 * Only the night's partition: the parent's ANALYZE would sample every night's partition again.
 * Measurements: BENCHMARKS.md.
 */
export async function analyzeQueue(db: Db, runDate: string): Promise<void> {
  await db.execute(sql`analyze ${sql.identifier(partitionName('batch_tasks', runDate))} (run_date, status)`);
}
