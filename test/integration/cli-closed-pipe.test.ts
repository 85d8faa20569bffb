import { spawn } from 'node:child_process';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

/**
 * `sched status | head`: the reader goes away before sched has written everything. The write
 * fails with EPIPE; sched used to die of it with an unhandled 'error' event, a stack trace and
 * exit code 1. A reader that closed early got what it wanted: sched stops quietly with 0.
 */

const ROOT = resolve(import.meta.dirname, '../..');

function runWithClosedStdout(args: string[]): Promise<{ code: number | null; stderr: string }> {
  return new Promise((done, fail) => {
    const child = spawn(process.execPath, ['bin/sched.js', ...args], {
      cwd: ROOT,
      env: { PATH: process.env.PATH, HOME: process.env.HOME },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    // The reader is gone before the first write.
    child.stdout.destroy();
    let stderr = '';
    child.stderr.on('data', (chunk) => {
      stderr += String(chunk);
    });
    child.on('error', fail);
    child.on('exit', (code) => done({ code, stderr }));
  });
}

describe('sched writing into a pipe whose reader has gone', () => {
  it('stops quietly with exit code 0', async () => {
    const { code, stderr } = await runWithClosedStdout(['--help']);
    expect(stderr).not.toMatch(/EPIPE|Unhandled/);
    expect(code).toBe(0);
  }, 120_000);
});
