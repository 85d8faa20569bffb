import { type ChildProcess, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { LocalWebApi } from '../../src/console/local-web-api.ts';
import { sendSigned } from '../../src/console/sign-request.ts';
import { cliEnvironment } from '../support/cli.ts';
import { backends } from '../support/db.ts';
import { freePort } from '../support/free-port.ts';
import { until } from '../support/slack-payloads.ts';

/**
 * `sched serve` with a bot token while Slack is unreachable (SLACK_API_URL points at a closed
 * port): it used to die after four seconds with an uncaught WebAPIRequestError. It must start,
 * say so in /healthz, keep serving (a signed payload=null included), and see Slack once the
 * Web API starts answering on that port.
 */

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const TOKEN = 'xoxb-serve-test';
const SECRET = 'serve-test-signing-secret';
const CRON_SECRET = 'serve-test-cron-secret-0123';

interface Health {
  status: string;
  slack?: { reachable: boolean | null; lastError?: string; since: string };
}

describe.each(backends())('sched serve with Slack unreachable on $name', (backend) => {
  let child: ChildProcess | undefined;
  let api: LocalWebApi | undefined;
  afterAll(async () => {
    child?.kill('SIGKILL');
    await api?.stop();
  });

  it('starts anyway, reports it in /healthz, keeps serving, and sees Slack come back', async () => {
    const { env, close } = await cliEnvironment(backend);
    const slackPort = await freePort();
    const port = await freePort();
    child = spawn(process.execPath, ['bin/sched.js', 'serve'], {
      cwd: ROOT,
      env: {
        PATH: process.env.PATH ?? '',
        HOME: process.env.HOME ?? '',
        ...(env as Record<string, string>),
        PORT: String(port),
        SLACK_BOT_TOKEN: TOKEN,
        SLACK_SIGNING_SECRET: SECRET,
        SLACK_API_URL: `http://127.0.0.1:${slackPort}/api/`,
        SLACK_REPORT_CHANNEL: 'C0REPORTS',
        CRON_SECRET: CRON_SECRET,
        LOG_LEVEL: 'info',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout?.on('data', (c) => {
      output += String(c);
    });
    child.stderr?.on('data', (c) => {
      output += String(c);
    });
    let exitCode: number | null | undefined;
    child.on('exit', (code) => {
      exitCode = code;
    });
    const health = async (): Promise<Health | undefined> => {
      try {
        return (await (await fetch(`http://127.0.0.1:${port}/healthz`)).json()) as Health;
      } catch {
        return undefined;
      }
    };
    try {
      await until(
        async () => exitCode !== undefined || (await health())?.slack?.reachable === false,
        150_000,
      ).catch((error: Error) => {
        throw new Error(`${error.message}; serve said:\n${output.slice(-3000)}`);
      });
      expect(exitCode, output).toBeUndefined();
      expect((await health())?.slack).toMatchObject({ reachable: false, lastError: expect.any(String) });
      expect(output).toContain('Slack is unreachable');

      // Still serving Slack requests, odd ones included, while Slack is away.
      const odd = await sendSigned(
        `http://127.0.0.1:${port}/slack/events`,
        { contentType: 'application/x-www-form-urlencoded', body: 'payload=null' },
        { signingSecret: SECRET },
      );
      expect(odd.status).toBe(400);

      // A postcheck while Slack is away: measured and recorded, its report owed.
      const postcheck = await fetch(`http://127.0.0.1:${port}/functions/v1/scheduler-postcheck`, {
        method: 'POST',
        headers: { 'x-cron-secret': CRON_SECRET },
        // Slack's retries are bounded (a minute at most): the answer must not wait for the outage.
        signal: AbortSignal.timeout(90_000),
      }).catch((error: Error) => {
        throw new Error(`${error.message}; serve said:\n${output.slice(-3000)}`);
      });
      expect(postcheck.status).toBe(200);
      expect(((await postcheck.json()) as { slackReport?: { action: string } }).slackReport?.action).toBe(
        'failed',
      );

      api = new LocalWebApi({ token: TOKEN });
      await api.start(slackPort);
      await until(async () => (await health())?.slack?.reachable === true, 150_000).catch((error: Error) => {
        throw new Error(`${error.message}; serve said:\n${output.slice(-3000)}`);
      });
      expect(output).toContain('Slack is reachable again');
      // ...and the report it could not post goes out now, once (the reporter's retries, or
      // postDueReports after a longer outage).
      const posted = await api.waitFor((c) => c.method === 'chat.postMessage', 60_000);
      expect(posted.body).toMatchObject({ channel: 'C0REPORTS' });
      expect(api.callsTo('chat.postMessage')).toHaveLength(1);
      expect(exitCode).toBeUndefined();
    } finally {
      child.kill('SIGTERM');
      await until(async () => exitCode !== undefined, 30_000).catch(() => child?.kill('SIGKILL'));
      await close();
    }
  }, 400_000);
});
