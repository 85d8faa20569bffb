import { type ChildProcessWithoutNullStreams, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

/**
 * The README's `npm start` on a fresh machine: no Slack credentials, no DATABASE_URL, a fresh
 * data directory. It must show the console, answer /sched-status with a rendered report, serve
 * the cron endpoints and /healthz on its port, and stop cleanly on `quit` and on SIGTERM.
 */

const CRON_SECRET = 'smoke-test-cron-secret';
const STARTUP_MS = 120_000;

/**
 * How the bot is started: exactly `npm start` (`node bin/start.js`). The code (dist/, or src/
 * through tsx) runs in that one node process, never under the tsx CLI, which would run the app
 * in a child and SIGKILL it when it has not acknowledged SIGTERM within about 60 ms, which a
 * busy embedded database easily exceeds. `--console` because stdin here is a pipe, not a terminal:
 * without it `npm start` runs headless (test/e2e/headless.test.ts).
 */
const LAUNCH = {
  'in-process': ['bin/start.js', '--console'],
};

class Bot {
  readonly child: ChildProcessWithoutNullStreams;
  output = '';
  readonly exited: Promise<number | null>;

  constructor(dataDir: string, launch: keyof typeof LAUNCH) {
    const env: Record<string, string> = {};
    for (const [key, value] of Object.entries(process.env)) {
      if (
        value !== undefined &&
        !/^(SLACK_|DATABASE_URL|SIMULATED_PROFILE|PORT$|CRON_SECRET|LOG_LEVEL)/.test(key)
      ) {
        env[key] = value;
      }
    }
    this.child = spawn(process.execPath, LAUNCH[launch], {
      env: { ...env, PGLITE_DIR: join(dataDir, 'pglite'), PORT: '0', CRON_SECRET, WORKER_CONCURRENCY: '3' },
      stdio: 'pipe',
    });
    this.child.stdout.on('data', (chunk: Buffer) => {
      this.output += chunk.toString('utf8');
    });
    this.child.stderr.on('data', (chunk: Buffer) => {
      this.output += chunk.toString('utf8');
    });
    this.exited = new Promise((resolve) => this.child.once('exit', (code) => resolve(code)));
  }

  /** Waits until the output after `from` matches; returns the whole output. */
  async waitFor(pattern: RegExp, from = 0, timeoutMs = 90_000): Promise<string> {
    const started = Date.now();
    while (!pattern.test(this.output.slice(from))) {
      if (this.child.exitCode !== null)
        throw new Error(`the bot exited (${this.child.exitCode}):\n${this.output}`);
      if (Date.now() - started > timeoutMs) throw new Error(`no ${pattern} in:\n${this.output.slice(from)}`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    return this.output;
  }

  type(line: string): number {
    const mark = this.output.length;
    this.child.stdin.write(`${line}\n`);
    return mark;
  }

  get baseUrl(): string {
    const port = /HTTP\s+http:\/\/localhost:(\d+)/.exec(this.output)?.[1];
    if (!port) throw new Error('the banner names no HTTP port');
    return `http://127.0.0.1:${port}`;
  }
}

describe('npm start on a fresh data directory', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'sched-smoke-'));
  afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

  it('shows the console, answers /sched-status and the HTTP endpoints, and quits with 0', {
    timeout: STARTUP_MS * 2,
  }, async () => {
    const bot = new Bot(dataDir, 'in-process');
    try {
      await bot.waitFor(/sched> /, 0, STARTUP_MS);
      expect(bot.output).toMatch(/sched-bot, local console/);
      expect(bot.output).toMatch(/demo data loaded: 28 organizations/);
      expect(bot.output).toMatch(/Try: {2}night/);
      // The one worker's slots are WORKER_CONCURRENCY (3 here), not a count of tasks in flight.
      expect(bot.output).toMatch(/\n {2}workers {4}one worker in this process, up to 3 tasks at a time\n/);
      // The banner says what happens to tonight's run now, not a cron time it may have passed.
      expect(bot.output).toMatch(/ {2}tonight {4}tonight's run \(\d{4}-\d\d-\d\d\) (starts|was started)/);
      expect(bot.output).not.toMatch(/runs the night at its cron time/);

      let mark = bot.type('/sched-status');
      const afterStatus = await bot.waitFor(
        /── sched-bot \(only visible to you\)[^\n]*\n[\s\S]*\[\d+\] /,
        mark,
      );
      const status = afterStatus.slice(mark);
      // The night's coverage once it is over; while the demo night still runs, its progress from
      // the task counts, marked provisional (coverage waits for the postcheck).
      expect(status).toMatch(
        /\d+(\.\d+)?% \(\d+\/\d+\)|\d+(\.\d+)?% · [\d,]+\/[\d,]+ done[\s\S]*provisional: the night is still running/i,
      );
      expect(status).not.toMatch(/! the app answered/);

      mark = bot.type('trigger');
      await bot.waitFor(/night \d{4}-\d{2}-\d{2} (triggered|was already triggered)/, mark);

      const refused = await fetch(`${bot.baseUrl}/functions/v1/scheduler-postcheck`, { method: 'POST' });
      expect(refused.status).toBe(401);
      const postcheck = await fetch(`${bot.baseUrl}/functions/v1/scheduler-postcheck`, {
        method: 'POST',
        headers: { 'x-cron-secret': CRON_SECRET },
      });
      expect(postcheck.status).toBe(200);
      const body = (await postcheck.json()) as {
        promptCoverage?: unknown;
        summary?: { overallHealth?: string };
      };
      expect(body.promptCoverage).toBeDefined();
      expect(body.summary?.overallHealth).toMatch(/^(HEALTHY|NEEDS_ATTENTION)$/);
      const health = await fetch(`${bot.baseUrl}/healthz`);
      expect((await health.json()) as unknown).toMatchObject({
        database: { reachable: true },
        workers: { alive: 1 },
      });
      expect((await fetch(`${bot.baseUrl}/metrics`)).status).toBe(200);

      mark = bot.type('frobnicate');
      await bot.waitFor(/! unknown command "frobnicate"; type help/, mark);

      bot.type('quit');
      expect(await bot.exited).toBe(0);
      // Logs went to the file, not into the console.
      expect(bot.output).not.toMatch(/"level":/);
      const logFile = join(dataDir, 'sched-bot.log');
      expect(existsSync(logFile)).toBe(true);
      expect(readFileSync(logFile, 'utf8')).toMatch(/sched-bot listening/);
      expect(readFileSync(logFile, 'utf8')).not.toMatch(/xoxb-local-[0-9a-f]/);
    } finally {
      bot.child.kill('SIGKILL');
    }
  });

  it('keeps the data on the next start and stops with 0 on SIGTERM', {
    timeout: STARTUP_MS * 2,
  }, async () => {
    const bot = new Bot(dataDir, 'in-process');
    try {
      await bot.waitFor(/sched> /, 0, STARTUP_MS);
      expect(bot.output).toMatch(/existing data kept/);
      bot.child.kill('SIGTERM');
      expect(await bot.exited).toBe(0);
    } finally {
      bot.child.kill('SIGKILL');
    }
  });
});
