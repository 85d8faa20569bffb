import { afterAll } from 'vitest';
import { settleFileDatabases } from './file-databases.ts';

/**
 * Runs in every test file (vitest setupFiles). When the file ends, what it left open is closed
 * and its PostgreSQL databases are dropped, unless something in the file failed: a failed
 * test's database is what one wants to look at (test/support/file-databases.ts).
 */

interface TaskLike {
  result?: { state?: string };
  tasks?: readonly TaskLike[];
}

const failed = (task: TaskLike): boolean => task.result?.state === 'fail' || (task.tasks ?? []).some(failed);

// vitest reads the first argument as fixtures and requires a destructuring pattern; none is needed.
// biome-ignore lint/correctness/noEmptyPattern: the file is the second argument.
afterAll(async ({}, file) => {
  await settleFileDatabases(failed(file));
});
