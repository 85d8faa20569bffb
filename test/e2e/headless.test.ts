import { mkdtempSync, rmSync } from 'node:fs';
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
