/**
 * The test databases of the test file that is running. When it ends (test/support/setup.ts):
 * a database the file left open is closed, as the end of its process used to do when every
 * file had a process of its own; the PostgreSQL databases are dropped, unless a test of the
 * file failed: then they stay for inspection and their names are logged, as pg-boss keeps a
 * failed test's schema. This module stays light: every test file loads it, `pg` only when
 * there is something to drop.
 */

const open = new Set<{ close(): Promise<void> }>();
const closed: { adminUrl: string; name: string }[] = [];

export function opened(database: { close(): Promise<void> }): void {
  open.add(database);
}

export function closedDatabase(
  database: { close(): Promise<void> },
  postgres?: { adminUrl: string; name: string },
) {
  open.delete(database);
  if (postgres) closed.push(postgres);
}

export async function settleFileDatabases(keep: boolean): Promise<void> {
  for (const database of [...open]) await database.close();
  const done = closed.splice(0);
  if (done.length === 0) return;
  if (keep) {
    for (const { adminUrl, name } of done) {
      const url = new URL(adminUrl);
      url.password = ''; // never log a secret
      url.pathname = `/${name}`;
      console.warn(`a test of this file failed: kept its database for inspection: psql ${url.toString()}`);
    }
    return;
  }
  const { default: pg } = await import('pg');
  for (const { adminUrl, name } of done) {
    const admin = new pg.Client({ connectionString: adminUrl });
    await admin.connect();
    try {
      // A session a killed child process left open does not stop the drop.
      await admin.query(`drop database if exists ${name} with (force)`);
    } finally {
      await admin.end();
    }
  }
}
