import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { openDatabase } from '../../src/db/client.ts';
import { embeddedLockPath } from '../../src/db/embedded-lock.ts';
import { isSchedError } from '../../src/errors.ts';
import { EXIT } from '../../src/exit-codes.ts';
import { BotProcess } from '../support/spawn-bot.ts';
import { copyPgliteTemplate } from '../support/template.ts';

/**
 * PGlite is one process's database: a second process on the same data directory used to abort
 * inside WebAssembly. Now the first process holds a lock file, and the second gets one line
 * naming the directory, the holder and what to do, and exit 75.
 */

const STARTUP_MS = 120_000;
const dirs: string[] = [];
const tempDir = () => {
  const dir = mkdtempSync(join(tmpdir(), 'sched-lock-'));
  dirs.push(dir);
  return dir;
};
afterAll(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

describe('the embedded database in use by another process', () => {
  it('sched status beside a running npm start: one line, exit 75; after it stops, status works', {
    timeout: STARTUP_MS * 2,
  }, async () => {
    const pgliteDir = join(tempDir(), 'pglite');
    await copyPgliteTemplate(pgliteDir);
    const env = { PGLITE_DIR: pgliteDir, PORT: '0', LOG_LEVEL: 'info' };
    const holder = BotProcess.npmStart(env);
    try {
      await holder.port(STARTUP_MS);
      const second = BotProcess.sched(['status'], { ...env, LOG_LEVEL: 'warn' });
      const code = await second.exited;
      expect(code, second.output).toBe(EXIT.inUse);
      const lines = second.output.trimEnd().split('\n');
      expect(lines, second.output).toHaveLength(1);
      expect(second.output).toContain(resolve(pgliteDir));
      expect(second.output).toContain(`process ${holder.child.pid}`);
      expect(second.output).toContain('bin/start.js');
      expect(second.output).toMatch(/DATABASE_URL/);
      expect(second.output).not.toMatch(/Aborted|RuntimeError/);
      expect(holder.running).toBe(true);

      const npmStartToo = BotProcess.npmStart(env);
      expect(await npmStartToo.exited, npmStartToo.output).toBe(EXIT.inUse);
      expect(npmStartToo.output).toContain(`process ${holder.child.pid}`);
      expect(npmStartToo.output).not.toMatch(/Aborted/);

      holder.kill('SIGTERM');
      expect(await holder.exited).toBe(0);
      expect(existsSync(embeddedLockPath(pgliteDir))).toBe(false);
      const after = BotProcess.sched(['status'], { ...env, LOG_LEVEL: 'warn' });
      expect(await after.exited, after.output).toBe(EXIT.ok);
    } finally {
      holder.kill();
    }
  });

  it('takes over the lock of a process that is gone', async () => {
    const pgliteDir = join(tempDir(), 'pglite');
    await copyPgliteTemplate(pgliteDir);
    // A pid that surely ended: a child that has exited and been reaped.
    const gone = spawnSync(process.execPath, ['-e', 'process.pid']).pid;
    writeFileSync(embeddedLockPath(pgliteDir), `${JSON.stringify({ pid: gone, command: 'old' })}\n`);
    const database = await openDatabase({ pgliteDir });
    try {
      const lock = JSON.parse(readFileSync(embeddedLockPath(pgliteDir), 'utf8')) as { pid: number };
      expect(lock.pid).toBe(process.pid);
      await expect(openDatabase({ pgliteDir })).rejects.toSatisfy((error: unknown) =>
        isSchedError(error, 'in_use'),
      );
    } finally {
      await database.close();
    }
    expect(existsSync(embeddedLockPath(pgliteDir))).toBe(false);
  });
});
