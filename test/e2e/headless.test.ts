import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { BotProcess } from '../support/spawn-bot.ts';
import { copyPgliteTemplate } from '../support/template.ts';

/**
 * Without a terminal there is nobody to type into the console: `sched serve` (always) and
 * `npm start` (when stdin is not a TTY) run headless, serving the cron endpoints, /healthz and
 * /metrics on PORT with the scheduler and workers, until SIGTERM stops them with exit 0.
 */

const CRON_SECRET = 'headless-test-cron-secret';
const STARTUP_MS = 120_000;
const dataDir = mkdtempSync(join(tmpdir(), 'sched-headless-'));
afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

const LAUNCHES = {
  'sched serve': (env: Record<string, string>) => BotProcess.sched(['serve'], env),
  'npm start': (env: Record<string, string>) => BotProcess.npmStart(env),
};

describe.each(Object.keys(LAUNCHES) as (keyof typeof LAUNCHES)[])(
  '%s without Slack credentials and without a terminal',
  (launch) => {
    it('keeps running, answers /healthz, the cron endpoints and /metrics, and stops with 0 on SIGTERM', {
      timeout: STARTUP_MS * 2,
    }, async () => {
      // Migrated already (test/support/template.ts): the first run on an empty directory is
      // console-smoke's; here it would only add an initdb to the start-up.
      const pgliteDir = join(dataDir, launch.replace(' ', '-'));
      await copyPgliteTemplate(pgliteDir);
      const bot = LAUNCHES[launch]({
        PGLITE_DIR: pgliteDir,
        PORT: '0',
        CRON_SECRET,
        LOG_LEVEL: 'info',
      });
      // As under a service manager: stdin is not a terminal and says end-of-file at once.
      bot.child.stdin.end();
      try {
        const port = await bot.port(STARTUP_MS);
        const base = `http://127.0.0.1:${port}`;
        expect(bot.output).not.toMatch(/local console|sched> /);

        const health = await fetch(`${base}/healthz`);
        expect((await health.json()) as unknown).toMatchObject({
          database: { reachable: true },
          workers: { alive: 1 },
        });
        const reconcile = await fetch(`${base}/functions/v1/batch-reconciler`, {
          method: 'POST',
          headers: { 'x-cron-secret': CRON_SECRET },
        });
        expect(reconcile.status).toBe(200);
        expect((await fetch(`${base}/metrics`)).status).toBe(200);
        const unknown = await fetch(`${base}/nowhere`);
        expect(unknown.status).toBe(404);
        expect((await unknown.json()) as unknown).toMatchObject({ error: 'not_found' });
        expect(bot.running).toBe(true);

        bot.kill('SIGTERM');
        expect(await bot.exited, bot.output).toBe(0);
        expect(bot.output).not.toMatch(/console quit/);
      } finally {
        bot.kill();
      }
    });
  },
);

/**
 * `kill <npm's pid>` used to leave the bot running under init: npm passed the signal to its
 * shell only. SIGTERM and SIGINT now reach the bot; after SIGKILL (npm cannot pass anything on)
 * the bot notices it lost its parent. Either way the port and the embedded database are freed.
 */
describe.each(['SIGTERM', 'SIGINT', 'SIGKILL'] as const)('npm start, when npm itself gets %s', (signal) => {
  it('stops the bot: the port is freed and the bot process is gone', {
    timeout: STARTUP_MS * 2,
  }, async () => {
    const pgliteDir = join(dataDir, `npm-${signal}`);
    await copyPgliteTemplate(pgliteDir);
    const npm = BotProcess.npm(['start', '--silent'], {
      PGLITE_DIR: pgliteDir,
      PORT: '0',
      CRON_SECRET,
      LOG_LEVEL: 'info',
    });
    npm.child.stdin.end();
    let botPid: number | undefined;
    try {
      const port = await npm.port(STARTUP_MS);
      // The embedded database's lock file holds the pid of the process that has it: the bot.
      botPid = (JSON.parse(readFileSync(`${pgliteDir}.lock`, 'utf8')) as { pid: number }).pid;
      expect(botPid).not.toBe(npm.child.pid);
      expect(isAlive(botPid)).toBe(true);

      npm.kill(signal);
      await npm.exited;
      await until(() => !isAlive(botPid as number), 30_000);
      await expect(fetch(`http://127.0.0.1:${port}/livez`)).rejects.toThrow();
    } finally {
      npm.kill();
      if (botPid !== undefined && isAlive(botPid)) process.kill(botPid, 'SIGKILL');
    }
  });
});

/** Running: a zombie (exited, not yet reaped by whatever adopted it) counts as gone. */
function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  try {
    return !/^\d+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return true; // no /proc (macOS): signal 0 is all there is
  }
}

async function until(condition: () => boolean, timeoutMs: number): Promise<void> {
  const started = Date.now();
  while (!condition()) {
    if (Date.now() - started > timeoutMs) throw new Error('timed out waiting');
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}
