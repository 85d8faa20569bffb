import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { sched } from '../support/cli.ts';

/**
 * A bad configuration value stops `npm start` and every `sched` command before anything starts:
 * exit 78 and one line on stderr naming the variable. The data directory of the embedded
 * database must not even be created.
 */

const dataDir = mkdtempSync(join(tmpdir(), 'sched-config-'));
afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

/** The environment of this test process without anything that could make a value valid or invalid. */
function cleanEnv(): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (value === undefined) continue;
    if (/^(SLACK_|DATABASE_URL|SIMULATED_PROFILE|PORT$|CRON_SECRET|LOG_LEVEL|PGLITE_DIR)/.test(key)) continue;
    if (/_(CRON|URL|RPM|TPM|CONCURRENCY|SECONDS|MS|TOKENS|THRESHOLD|ATTEMPTS|SIZE|DAYS)$/.test(key)) continue;
    env[key] = value;
  }
  return env;
}

function run(args: string[], env: Record<string, string>): Promise<{ code: number | null; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, args, { env: { ...cleanEnv(), ...env }, stdio: 'pipe' });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString('utf8');
    });
    child.stdout.resume();
    child.stdin.end();
    child.once('error', reject);
    child.once('exit', (code) => resolve({ code, stderr }));
  });
}

const oneLine = (text: string) => text.trimEnd().split('\n');

describe('a bad configuration value', () => {
  it('stops npm start with exit 78 naming the variable, before the database opens', async () => {
    const pglite = join(dataDir, 'start');
    const result = await run(['bin/start.js'], {
      PGLITE_DIR: pglite,
      PORT: '0',
      TRIGGER_CRON: '99 99 * * *',
    });
    expect(result.code).toBe(78);
    expect(oneLine(result.stderr)).toHaveLength(1);
    expect(result.stderr).toMatch(/TRIGGER_CRON: /);
    expect(existsSync(pglite)).toBe(false);
  });

  it('stops the installed sched command with exit 78 naming the variable', async () => {
    const pglite = join(dataDir, 'bin');
    const result = await run(['bin/sched.js', 'status'], { PGLITE_DIR: pglite, CRON_SECRET: 'short' });
    expect(result.code).toBe(78);
    expect(oneLine(result.stderr)).toHaveLength(1);
    expect(result.stderr).toMatch(/^sched status: .*CRON_SECRET: must be at least 16 characters/);
    expect(result.stderr).not.toContain('short');
    expect(existsSync(pglite)).toBe(false);
  });

  it.each([
    ['WORKER_CONCURRENCY', '0x10'],
    ['WORKER_CONCURRENCY', '1e2'],
    ['OPENAI_BASE_URL', 'ftp://x'],
    ['CRON_SECRET', 'x'],
    ['TRIGGER_CRON', '99 99 * * *'],
    ['POSTCHECK_CRON', '0 4 * * NOPE'],
  ])('%s=%s: every sched command refuses with 78', async (name, value) => {
    const pglite = join(dataDir, `cli-${name}`);
    for (const command of [['status'], ['trigger'], ['reconcile'], ['providers', 'check']]) {
      const result = await sched(command, { PGLITE_DIR: pglite, [name]: value });
      expect(result.code).toBe(78);
      expect(oneLine(result.stderr)).toHaveLength(1);
      expect(result.stderr).toContain(`${name}: `);
    }
    expect(existsSync(pglite)).toBe(false);
  });
});
