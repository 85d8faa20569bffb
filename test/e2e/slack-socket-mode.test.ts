import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LocalWebApi } from '../../src/console/local-web-api.ts';
import { buildCommand } from '../../src/console/sign-request.ts';
import { backends, type TestDatabase } from '../support/db.ts';
import {
  ADMIN,
  APP_TOKEN,
  BOT_TOKEN,
  REPORT_CHANNEL,
  SIGNING_SECRET,
  type SlackHarness,
  startSlackHarness,
} from '../support/fake-slack.ts';
import { FakeSocketMode } from '../support/fake-socket-mode.ts';
import { messageText } from '../support/slack-payloads.ts';
import { BotProcess } from '../support/spawn-bot.ts';
import { copyPgliteTemplate } from '../support/template.ts';

/**
 * Socket Mode (SLACK_APP_TOKEN) against a loopback Socket Mode server: Slack being unreachable
 * when the app starts does not stop it (start-up used to reject, or wait for Slack, so
 * `sched serve` exited or never started its scheduler); the connection is made in the background
 * with backoff once Slack answers, and made again after Slack drops it.
 */
describe.each(backends())('Socket Mode on $name', (backend) => {
  let database: TestDatabase;
  let h: SlackHarness;
  const socket = new FakeSocketMode();
  let seq = 0;

  async function status(): Promise<string> {
    const responseId = `socket${++seq}`;
    const res = await h.send(
      buildCommand({
        command: '/sched-status',
        text: '',
        userId: ADMIN,
        responseUrl: h.api.responseUrl(responseId),
      }),
    );
    expect(res.status).toBe(200);
    return messageText((await h.api.waitFor((c) => c.responseId === responseId)).body);
  }

  beforeAll(async () => {
    database = await backend.create();
  });
  afterAll(async () => {
    await h?.stop();
    await socket.stop();
    await database?.close();
  });

  it('starts while Slack is unreachable, and answers commands once Socket Mode connects', async () => {
    const port = await socket.reservePort();
    // Slack's apps.connections.open fails first (an outage), then hands out a socket no one serves yet.
    h = await startSlackHarness(database.db, {
      mode: 'socket',
      socket,
      waitForSocket: false,
      slackRetry: { initialRetryMs: 20, maxRetryMs: 100 },
      beforeStart: (api) => api.failNext('apps.connections.open', { error: 'internal_error', status: 503 }),
    });
    // The app asked for a connection with its app-level token and keeps trying.
    const opens = await h.api.waitFor((c) => c.method === 'apps.connections.open' && c.response.ok === true);
    expect(opens.status).toBe(200);
    expect(h.api.callsTo('apps.connections.open')[0]?.status).toBe(503);
    expect(socket.connections).toBe(0);

    await socket.start(port);
    await socket.connected();
    expect(await status()).toContain('Status of');
    expect(APP_TOKEN.startsWith('xapp-')).toBe(true);
  });

  it('connects again after Slack drops the connection', async () => {
    const before = socket.connections;
    socket.drop();
    await socket.connected();
    expect(socket.connections).toBe(before + 1);
    expect(await status()).toContain('Status of');
  });
});

describe('sched serve in Socket Mode while Slack is unreachable', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'sched-socket-'));
  const socket = new FakeSocketMode();
  const api = new LocalWebApi({ token: BOT_TOKEN, appToken: APP_TOKEN });
  afterAll(async () => {
    await socket.stop();
    await api.stop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('keeps running, connects once Slack answers, serves a command, and stops with 0', {
    timeout: 300_000,
  }, async () => {
    await api.start();
    await socket.reservePort();
    api.setSocketUrl(socket.url);
    api.failNext('apps.connections.open', { error: 'internal_error', status: 503 });
    await copyPgliteTemplate(join(dataDir, 'db'));
    const bot = BotProcess.sched(['serve'], {
      PGLITE_DIR: join(dataDir, 'db'),
      PORT: '0',
      LOG_LEVEL: 'info',
      SLACK_BOT_TOKEN: BOT_TOKEN,
      SLACK_SIGNING_SECRET: SIGNING_SECRET,
      SLACK_APP_TOKEN: APP_TOKEN,
      SLACK_API_URL: api.url,
      SLACK_REPORT_CHANNEL: REPORT_CHANNEL,
      SLACK_ADMIN_USERS: ADMIN,
    });
    bot.child.stdin.end();
    try {
      await bot.waitFor(/"mode":"socket"[^\n]*sched-bot listening/, 120_000);
      await bot.waitFor(/Socket Mode cannot connect to Slack/);
      // The 503, then a socket no one serves: still running, still trying.
      await api.waitFor((c) => c.method === 'apps.connections.open' && c.response.ok === true);
      expect(bot.running).toBe(true);

      await socket.start();
      await socket.connected();
      await bot.waitFor(/Socket Mode connected again/);
      const ack = await socket.deliver(
        'slash_commands',
        Object.fromEntries(
          new URLSearchParams(
            buildCommand({
              command: '/sched-status',
              text: '',
              userId: ADMIN,
              responseUrl: api.responseUrl('served'),
            }).body,
          ),
        ),
      );
      expect(ack).toEqual({});
      const answer = await api.waitFor((c) => c.responseId === 'served', 60_000);
      expect(messageText(answer.body)).toContain('Status of');

      bot.kill('SIGTERM');
      expect(await bot.exited, bot.output).toBe(0);
    } finally {
      bot.kill();
    }
  });
});
