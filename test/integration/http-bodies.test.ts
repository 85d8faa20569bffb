import { request } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSlackBot, type SlackBot } from '../../src/app/slack-bot.ts';
import { LocalWebApi } from '../../src/console/local-web-api.ts';
import { buildCommand, sendSigned } from '../../src/console/sign-request.ts';
import type { Deps } from '../../src/context.ts';
import { opsRoutes } from '../../src/http/ops-routes.ts';
import { toCustomRoutes } from '../../src/http/routes.ts';
import { silentLogger } from '../../src/logger.ts';
import { createMetrics } from '../../src/metrics/metrics.ts';
import { EVENTS_PATH } from '../../src/slack/app.ts';
import { backends, type TestDatabase } from '../support/db.ts';
import { ADMIN, BOT_TOKEN, harnessConfig, SIGNING_SECRET } from '../support/fake-slack.ts';

/**
 * Request bodies on the one port: a cron endpoint checks x-cron-secret from the headers before it
 * reads a byte (401), refuses a body over 1 MB with 413 from its Content-Length, or as soon as a
 * chunked one passes 1 MB; /slack/events does the same before Bolt buffers it. The answers come
 * while the client is still holding the body back, which is the proof the server did not wait
 * to read it; the process keeps serving signed requests afterwards.
 */

const SECRET = 'cron-secret-for-body-tests';
const MB = 1024 * 1024;
const HUGE = 50 * MB;
const CRON = ['daily-batch-trigger', 'batch-reconciler', 'scheduler-postcheck', 'manual-daily-run'];

interface Answer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
  /** Body bytes the client had written when the answer came. */
  sent: number;
}

/**
 * POSTs to `url`: sends `send` bytes of body (declaring `declared` in Content-Length, or chunked
 * when it is undefined), then holds the rest back and waits for the answer. `stream` keeps
 * writing until the answer comes instead, up to `declared`.
 */
function post(
  url: string,
  options: { headers?: Record<string, string>; declared?: number; send: number; stream?: boolean },
): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const headers: Record<string, string> = { 'content-type': 'application/json', ...options.headers };
    if (options.declared !== undefined) headers['content-length'] = String(options.declared);
    const req = request(url, { method: 'POST', headers, agent: false });
    let sent = 0;
    let answered = false;
    const timer = setTimeout(() => {
      req.destroy();
      reject(new Error(`no answer from ${url} while the body was held back after ${sent} bytes`));
    }, 20_000);
    req.on('response', (res) => {
      answered = true;
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        body += chunk;
      });
      res.on('end', () => {
        clearTimeout(timer);
        req.destroy();
        resolve({ status: res.statusCode ?? 0, headers: res.headers, body, sent });
      });
    });
    req.on('error', (error) => {
      if (!answered) {
        clearTimeout(timer);
        reject(error);
      }
    });
    const chunk = Buffer.alloc(64 * 1024, 0x61);
    const limit = options.stream ? (options.declared ?? HUGE) : options.send;
    const pump = () => {
      while (!answered && sent < limit) {
        const piece = chunk.subarray(0, Math.min(chunk.length, limit - sent));
        sent += piece.length;
        if (!req.write(piece)) {
          req.once('drain', pump);
          return;
        }
      }
    };
    req.flushHeaders();
    pump();
  });
}

describe.each(backends().slice(0, 1))('request bodies on $name', (backend) => {
  let database: TestDatabase;
  let api: LocalWebApi;
  let slack: SlackBot;
  let base: string;

  beforeAll(async () => {
    database = await backend.create();
    api = new LocalWebApi({ token: BOT_TOKEN });
    await api.start();
    const deps: Deps = {
      db: database.db,
      config: harnessConfig(api.url, { CRON_SECRET: SECRET, SLACK_ADMIN_USERS: ADMIN }),
      logger: silentLogger(),
      clock: () => new Date(),
    };
    const routes = opsRoutes({
      ...deps,
      metrics: createMetrics(deps),
      workers: () => ({ expected: 1, alive: 1 }),
    });
    slack = createSlackBot(deps, {
      botToken: BOT_TOKEN,
      signingSecret: SIGNING_SECRET,
      apiUrl: api.url,
      port: 0,
      host: '127.0.0.1',
      customRoutes: toCustomRoutes(routes, deps.logger),
    });
    const { port } = await slack.start();
    base = `http://127.0.0.1:${port}`;
  });
  afterAll(async () => {
    await slack?.stop();
    await api?.stop();
    await database?.close();
  });

  it.each(CRON)('%s: 401 from the headers, before the body is sent', async (name) => {
    const answer = await post(`${base}/functions/v1/${name}`, { declared: HUGE, send: 0 });
    expect(answer.status).toBe(401);
    expect(JSON.parse(answer.body)).toMatchObject({ error: 'unauthorized' });
  });

  it.each(CRON)('%s: 413 for a declared 50 MB body, before it is sent', async (name) => {
    const answer = await post(`${base}/functions/v1/${name}`, {
      headers: { 'x-cron-secret': SECRET },
      declared: HUGE,
      send: 0,
    });
    expect(answer.status).toBe(413);
    expect(JSON.parse(answer.body)).toMatchObject({ error: 'payload_too_large' });
  });

  it('a cron endpoint: 413 as soon as a chunked body passes 1 MB', async () => {
    const answer = await post(`${base}/functions/v1/batch-reconciler`, {
      headers: { 'x-cron-secret': SECRET },
      send: 1.5 * MB,
    });
    expect(answer.status).toBe(413);
  });

  it('/slack/events: 413 for a declared 50 MB body, before it is sent', async () => {
    const answer = await post(`${base}${EVENTS_PATH}`, { declared: HUGE, send: 0 });
    expect(answer.status).toBe(413);
    expect(JSON.parse(answer.body)).toMatchObject({ error: 'payload_too_large' });
  });

  it('/slack/events: 413 as soon as a chunked body passes 1 MB', async () => {
    const answer = await post(`${base}${EVENTS_PATH}`, { send: 1.5 * MB });
    expect(answer.status).toBe(413);
  });

  it('a client that keeps sending 50 MB gets the answer, and the server keeps serving', async () => {
    for (const path of [`/functions/v1/batch-reconciler`, EVENTS_PATH]) {
      const answer = await post(`${base}${path}`, { declared: HUGE, send: HUGE, stream: true });
      expect([401, 413], path).toContain(answer.status);
      expect(answer.sent, path).toBeLessThan(HUGE);
    }
    const signed = await sendSigned(
      `${base}${EVENTS_PATH}`,
      buildCommand({
        command: '/sched-status',
        text: '',
        userId: ADMIN,
        responseUrl: api.responseUrl('after'),
      }),
      { signingSecret: SIGNING_SECRET },
    );
    expect(signed.status).toBe(200);
    const ok = await fetch(`${base}/functions/v1/batch-reconciler`, {
      method: 'POST',
      headers: { 'x-cron-secret': SECRET },
    });
    expect(ok.status).toBe(200);
  });

  it('an unknown path: 404 JSON like the other errors', async () => {
    const response = await fetch(`${base}/nowhere`);
    expect(response.status).toBe(404);
    expect(response.headers.get('content-type')).toMatch(/application\/json/);
    expect((await response.json()) as unknown).toMatchObject({ error: 'not_found' });
  });
});
