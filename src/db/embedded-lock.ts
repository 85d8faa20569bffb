import { readFileSync, unlinkSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { SchedError } from '../errors.ts';

/**
 * PGlite is a single-process database: a second process opening the same data directory aborts
 * inside WebAssembly. So the process that opens it holds `<dir>.lock` (beside the directory,
 * not inside PostgreSQL's own files), created atomically with the `wx` flag and holding its pid
 * and command. A lock whose pid is dead is stale and taken over; close() removes it.
 */

export interface EmbeddedLock {
  path: string;
  release(): void;
}

interface LockContent {
  pid: number;
  command?: string;
  startedAt?: string;
}

export const embeddedLockPath = (dir: string) => `${resolve(dir)}.lock`;

/** Alive, or alive but someone else's (EPERM): only ESRCH proves the process is gone. */
function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code !== 'ESRCH';
  }
}

function readLock(path: string): LockContent | undefined {
  try {
    const parsed = JSON.parse(readFileSync(path, 'utf8')) as Partial<LockContent>;
    return typeof parsed.pid === 'number' && Number.isInteger(parsed.pid) && parsed.pid > 0
      ? (parsed as LockContent)
      : undefined;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') throw error;
    return undefined; // unreadable or half-written: treated as stale
  }
}

function inUse(dir: string, holder: LockContent): SchedError {
  const who = holder.command ? `process ${holder.pid} (${holder.command})` : `process ${holder.pid}`;
  return new SchedError(
    'in_use',
    `the embedded database in ${resolve(dir)} is in use by ${who}; stop that process, ` +
      'or set DATABASE_URL to share one PostgreSQL server between processes',
    { dir: resolve(dir), pid: holder.pid },
  );
}

/** Takes the lock of `dir` or throws SchedError('in_use') naming the process that holds it. */
export function acquireEmbeddedLock(dir: string): EmbeddedLock {
  const path = embeddedLockPath(dir);
  const mine: LockContent = {
    pid: process.pid,
    command: process.argv.slice(1).join(' ').slice(0, 200),
    startedAt: new Date().toISOString(),
  };
  for (let attempt = 0; attempt < 5; attempt++) {
    try {
      writeFileSync(path, `${JSON.stringify(mine)}\n`, { flag: 'wx' });
      break;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    }
    let holder: LockContent | undefined;
    try {
      holder = readLock(path);
    } catch {
      continue; // removed between our write and our read: try again
    }
    if (holder && isAlive(holder.pid)) throw inUse(dir, holder);
    // Stale: its process is gone. Two processes may both see it stale; `wx` lets one win.
    try {
      unlinkSync(path);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    }
    if (attempt === 4) throw inUse(dir, holder ?? { pid: 0 });
  }

  // A crash skips close(); an ordinary exit (process.exit included) still removes the lock.
  const onExit = () => release();
  process.once('exit', onExit);
  let released = false;
  function release() {
    if (released) return;
    released = true;
    process.off('exit', onExit);
    try {
      if (readLock(path)?.pid === process.pid) unlinkSync(path);
    } catch {
      // already gone
    }
  }
  return { path, release };
}
