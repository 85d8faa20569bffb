import { sql } from 'drizzle-orm';
import { type Db, queryOne } from '../db/client.ts';

/** `installation`: one row, written by the migration that creates it. */

/** When this database was first set up (its migration wrote it): nothing before it is owed. */
export async function installedAt(db: Db): Promise<Date> {
  const row = await queryOne<{ at: string | Date }>(db, sql`select installed_at as at from installation`);
  return row ? new Date(row.at) : new Date(0);
}
