import { sql } from 'drizzle-orm';
import { createSlackBot, type SlackBot } from '../../src/app/slack-bot.ts';
import { type Config, loadConfig } from '../../src/config.ts';
import { LocalWebApi } from '../../src/console/local-web-api.ts';
import {
  type SendOptions,
  type SlackHttpResponse,
  type SlackRequest,
  sendSigned,
} from '../../src/console/sign-request.ts';
import type { Deps } from '../../src/context.ts';
import type { Db } from '../../src/db/client.ts';
import { silentLogger } from '../../src/logger.ts';
import type { RepairRunnerOptions } from '../../src/report/repair-runner.ts';
import { postOrUpdateReport } from '../../src/report/report-poster.ts';
import { runPostcheck } from '../../src/scheduler/postcheck.ts';
import { reconcile } from '../../src/scheduler/reconciler.ts';
import { runTrigger } from '../../src/scheduler/trigger.ts';
import { EVENTS_PATH } from '../../src/slack/app.ts';
import { runDateOf } from '../../src/time/business-day.ts';
import { type Backend, backends } from './db.ts';
import { type EnvelopeType, FakeSocketMode } from './fake-socket-mode.ts';
import { completeAllLive, seedSmallDemo } from './scheduler-deps.ts';
import { HIGH_LIMITS } from './worker-fixtures.ts';

/**
 * The running Bolt app against a fresh database and the local Web API stand-in: what every
 * end-to-end test drives. In `http` mode (the default) the HTTP receiver listens on a loopback
 * port and `send` POSTs signed requests; in `socket` mode the app runs Socket Mode against a
 * loopback WebSocket (test/support/fake-socket-mode.ts) and `send` delivers the same request
 * as a Socket Mode envelope, answering with the ack's payload as an HTTP-like 200.
 */

export const SIGNING_SECRET = 'e2e-signing-secret';
export const BOT_TOKEN = 'xoxb-e2e-token';
export const APP_TOKEN = 'xapp-1-e2e-token';
export const REPORT_CHANNEL = 'C0REPORTS';
export const ADMIN = 'U0ADMIN01';
export const GROUP_ADMIN = 'U0GROUPADM';
export const OUTSIDER = 'U0OUTSIDER';
export const ADMIN_GROUP = 'S0ADMINS';

export type SlackMode = 'http' | 'socket';
export const SLACK_MODES: SlackMode[] = ['http', 'socket'];

/** Every database backend under test, each with Slack reaching the app over HTTP and over Socket Mode. */
export function backendsAndModes(): { name: Backend['name']; mode: SlackMode; backend: Backend }[] {
  return backends().flatMap((backend) => SLACK_MODES.map((mode) => ({ name: backend.name, mode, backend })));
}

export interface SlackHarness {
  mode: SlackMode;
  api: LocalWebApi;
  slack: SlackBot;
  deps: Deps;
  /** The HTTP events URL (http mode only; empty in socket mode). */
  eventsUrl: string;
  /** Slack's Socket Mode side (socket mode only). */
  socket?: FakeSocketMode;
  send(request: SlackRequest, options?: Partial<SendOptions>): Promise<SlackHttpResponse>;
  stop(): Promise<void>;
}

export interface HarnessOptions {
  env?: Record<string, string>;
  clock?: () => Date;
  repair?: RepairRunnerOptions;
  /** How long the admin group is cached (0: every check asks usergroups.users.list). */
  accessCacheMs?: number;
  /** How Slack reaches the app: signed HTTP requests (default) or Socket Mode envelopes. */
  mode?: SlackMode;
  /** Socket mode: start without waiting for the app's connection (the socket server may be down). */
  waitForSocket?: boolean;
  /** Socket mode: the socket server to use (tests that start and stop it themselves). */
  socket?: FakeSocketMode;
  slackRetry?: { initialRetryMs?: number; maxRetryMs?: number };
  /** Runs before the app starts (failNext on the Web API stand-in...). */
  beforeStart?: (api: LocalWebApi) => void;
}

export function harnessConfig(apiUrl: string, env: Record<string, string> = {}): Config {
  return loadConfig({
    SLACK_BOT_TOKEN: BOT_TOKEN,
    SLACK_SIGNING_SECRET: SIGNING_SECRET,
    SLACK_API_URL: apiUrl,
    SLACK_REPORT_CHANNEL: REPORT_CHANNEL,
    SLACK_ADMIN_USERS: ADMIN,
    SLACK_ADMIN_USERGROUP: ADMIN_GROUP,
    SIMULATED_PROFILE: 'ideal',
    LOG_LEVEL: 'silent',
    // The simulated providers answer 429 past the configured rpm: at the defaults (50 for two of
    // them) a repair of the demo night waited 50 s on Retry-After.
    ...HIGH_LIMITS,
    ...env,
  });
}

export async function startSlackHarness(db: Db, options: HarnessOptions = {}): Promise<SlackHarness> {
  const mode = options.mode ?? 'http';
  const socket = mode === 'socket' ? (options.socket ?? new FakeSocketMode()) : undefined;
  if (socket && !options.socket) await socket.start();
  const api = new LocalWebApi({
    token: BOT_TOKEN,
    usergroups: { [ADMIN_GROUP]: [GROUP_ADMIN] },
    appToken: APP_TOKEN,
    ...(socket ? { socketUrl: socket.url } : {}),
  });
  await api.start();
  options.beforeStart?.(api);
  const config = harnessConfig(api.url, options.env);
  const deps: Deps = { db, config, logger: silentLogger(), clock: options.clock ?? (() => new Date()) };
  const slack = createSlackBot(deps, {
    botToken: BOT_TOKEN,
    signingSecret: SIGNING_SECRET,
    appToken: socket ? APP_TOKEN : undefined,
    apiUrl: api.url,
    port: 0,
    host: '127.0.0.1',
    repair: { progressIntervalMs: 50, ...options.repair },
    ...(options.accessCacheMs === undefined ? {} : { accessCacheMs: options.accessCacheMs }),
    ...(options.slackRetry ? { slackRetry: options.slackRetry } : {}),
  });
  const { port } = await slack.start();
  const stop = async () => {
    await slack.stop();
    await api.stop();
    if (socket && !options.socket) await socket.stop();
  };
  if (socket) {
    if (options.waitForSocket ?? true) await socket.connected();
    return {
      mode,
      api,
      slack,
      deps,
      eventsUrl: '',
      socket,
      send: (request, sendOptions = {}) => sendEnvelope(socket, request, sendOptions),
      stop,
    };
  }
  const eventsUrl = `http://127.0.0.1:${port}${EVENTS_PATH}`;
  return {
    mode,
    api,
    slack,
    deps,
    eventsUrl,
    send: (request, sendOptions = {}) =>
      sendSigned(eventsUrl, request, { signingSecret: SIGNING_SECRET, ...sendOptions }),
    stop,
  };
}

/**
 * The Socket Mode envelope Slack would send instead of the HTTP request: a slash command's form
 * fields, an interaction's `payload` JSON, an event callback's JSON body. Resolves like the HTTP
 * answer: 200 with the ack's payload (an empty ack reads as an empty body, as over HTTP).
 */
async function sendEnvelope(
  socket: FakeSocketMode,
  request: SlackRequest,
  options: Partial<SendOptions>,
): Promise<SlackHttpResponse> {
  if (options.tamperedBody !== undefined || options.timestampSec !== undefined || options.signingSecret)
    throw new Error('signatures and timestamps are HTTP only: Socket Mode envelopes carry none');
  let type: EnvelopeType;
  let payload: Record<string, unknown>;
  if (request.contentType === 'application/json') {
    type = 'events_api';
    payload = JSON.parse(request.body) as Record<string, unknown>;
  } else {
    const fields = new URLSearchParams(request.body);
    const interaction = fields.get('payload');
    type = interaction === null ? 'slash_commands' : 'interactive';
    payload =
      interaction === null
        ? Object.fromEntries(fields)
        : (JSON.parse(interaction) as Record<string, unknown>);
  }
  const ack = await socket.deliver(type, payload, {
    ...(options.retryNum === undefined ? {} : { retryAttempt: options.retryNum }),
  });
  const empty = Object.keys(ack).length === 0;
  return { status: 200, text: empty ? '' : JSON.stringify(ack), json: empty ? undefined : ack };
}

/** The starter org of the small demo (25 prompts, openai + perplexity): fully uncovered in the failed night. */
export const FAILED_ORG = 'acme-analytics';

/**
 * A night with failures, as the postcheck finds it at 04:00: the trigger ran, perplexity was
 * rate limited all night (attempts spent), Acme Analytics' openai calls failed too, everything
 * else answered; the reconciler closed the jobs. 118 expected units, 67 missing.
 */
export async function nightWithFailures(deps: Deps, runDate: string) {
  await seedSmallDemo(deps.db);
  await runTrigger(deps, { runDate, triggeredBy: 'scheduler', scheduled: true });
  const at = deps.clock();
  await deps.db.execute(sql`
    update batch_tasks t
    set status = 'failed', attempts = t.max_attempts, completed_at = ${at.toISOString()}::timestamptz,
        error_class = case when t.provider = 'perplexity' then 'rate_limited' else 'server' end,
        last_error = case when t.provider = 'perplexity' then '429 Too Many Requests' else '502 Bad Gateway' end
    from organizations o
    where o.id = t.org_id and t.run_date = ${runDate}::date
      and (t.provider = 'perplexity' or (o.slug = ${FAILED_ORG} and t.provider = 'openai'))`);
  await completeAllLive(deps.db, runDate, at);
  await reconcile(deps.db, at);
  return runPostcheck(deps, { runDate, triggeredBy: 'scheduler', scheduled: true });
}

/** Tonight's failed night (nightWithFailures) with its morning report posted, as the scheduler posts it at 04:00. */
export async function postedFailedNight(h: SlackHarness): Promise<{ runDate: string; reportTs: string }> {
  const runDate = runDateOf(h.deps.clock(), h.deps.config.timezone);
  const { report } = await nightWithFailures(h.deps, runDate);
  const posted = await postOrUpdateReport(
    { ...h.slack.deps, client: h.slack.app.client },
    { runDate, report },
  );
  return { runDate, reportTs: String(posted?.ts) };
}
