import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

/**
 * A rejection nobody handles must not end `sched serve`. Run in a child process, because that is
 * where Node's default (print and exit 1) would show: the script rejects once with the guard
 * installed the way runSchedBot installs it, then proves it is still alive.
 */

const ROOT = fileURLToPath(new URL('../..', import.meta.url));

function runScript(source: string): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', source], {
    cwd: ROOT,
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (c) => {
    stdout += String(c);
  });
  child.stderr.on('data', (c) => {
    stderr += String(c);
  });
  return new Promise((resolve) => child.on('exit', (code) => resolve({ code, stdout, stderr })));
}

describe('unhandled rejections in the serve process', () => {
  it('end the process without the guard (what the guard is for)', async () => {
    const result = await runScript(`
      Promise.reject(new Error('a listener forgot to catch this'));
      await new Promise((r) => setTimeout(r, 200));
      process.stdout.write('still serving\\n');
    `);
    expect(result.code).not.toBe(0);
    expect(result.stdout).not.toContain('still serving');
  });

  it('are logged with their stack and the process keeps running', async () => {
    const result = await runScript(`
      import { createLogger } from './src/logger.ts';
      import { logUnhandledRejections } from './src/app/unhandled-rejections.ts';
      const logger = createLogger({ level: 'info' });
      const guard = logUnhandledRejections(() => logger);
      Promise.reject(new Error('a listener forgot to catch this'));
      await new Promise((r) => setTimeout(r, 200));
      process.stdout.write('still serving after ' + guard.count() + ' rejection\\n');
      guard.uninstall();
    `);
    expect(result.stdout).toContain('a listener forgot to catch this');
    expect(result.stdout).toContain('unhandled promise rejection; still serving');
    expect(result.stdout).toContain('still serving after 1 rejection');
    expect(result.code).toBe(0);
  });
});
