import { sql } from 'drizzle-orm';
import { type Config, loadConfig } from '../../src/config.ts';
import type { Deps } from '../../src/context.ts';
import type { Db } from '../../src/db/client.ts';
import { silentLogger } from '../../src/logger.ts';
import { runPostcheck } from '../../src/scheduler/postcheck.ts';
import { reconcile } from '../../src/scheduler/reconciler.ts';
import { runTrigger } from '../../src/scheduler/trigger.ts';
import { createSlackApp, EVENTS_PATH, type SlackApp } from '../../src/slack/app.ts';
import { LocalWebApi } from '../../src/slack/local-web-api.ts';
import type { RepairRunnerOptions } from '../../src/slack/repair-runner.ts';
import {
  type SendOptions,
  type SlackHttpResponse,
  type SlackRequest,
  sendSigned,
} from '../../src/slack/sign-request.ts';
import { completeAllLive, seedSmallDemo } from './scheduler-deps.ts';

/**
 * The running Bolt app (HTTP receiver on a loopback port) against a fresh database and the
 * local Web API stand-in: what every end-to-end test drives, through signed requests only.
 */

export const SIGNING_SECRET = 'e2e-signing-secret';
export const BOT_TOKEN = 'xoxb-e2e-token';
export const REPORT_CHANNEL = 'C0REPORTS';
export const ADMIN = 'U0ADMIN01';
export const GROUP_ADMIN = 'U0GROUPADM';
export const OUTSIDER = 'U0OUTSIDER';
export const ADMIN_GROUP = 'S0ADMINS';

export interface SlackHarness {
  api: LocalWebApi;
  slack: SlackApp;
  deps: Deps;
  eventsUrl: string;
  send(request: SlackRequest, options?: Partial<SendOptions>): Promise<SlackHttpResponse>;
  stop(): Promise<void>;
}

export interface HarnessOptions {
  env?: Record<string, string>;
  clock?: () => Date;
  repair?: RepairRunnerOptions;
  /** How long the admin group is cached (0: every check asks usergroups.users.list). */
  accessCacheMs?: number;
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
    ...env,
  });
}

export async function startSlackHarness(db: Db, options: HarnessOptions = {}): Promise<SlackHarness> {
  const api = new LocalWebApi({ token: BOT_TOKEN, usergroups: { [ADMIN_GROUP]: [GROUP_ADMIN] } });
  await api.start();
  const config = harnessConfig(api.url, options.env);
  const deps: Deps = { db, config, logger: silentLogger(), clock: options.clock ?? (() => new Date()) };
  const slack = createSlackApp(deps, {
    botToken: BOT_TOKEN,
    signingSecret: SIGNING_SECRET,
    apiUrl: api.url,
    port: 0,
    host: '127.0.0.1',
    repair: { progressIntervalMs: 50, ...options.repair },
    ...(options.accessCacheMs === undefined ? {} : { accessCacheMs: options.accessCacheMs }),
  });
  const { port } = await slack.start();
  const eventsUrl = `http://127.0.0.1:${port}${EVENTS_PATH}`;
  return {
    api,
    slack,
    deps,
    eventsUrl,
    send: (request, sendOptions = {}) =>
      sendSigned(eventsUrl, request, { signingSecret: SIGNING_SECRET, ...sendOptions }),
    async stop() {
      await slack.stop();
      await api.stop();
    },
  };
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
  return runPostcheck(
    deps.db,
    { runDate, triggeredBy: 'scheduler', scheduled: true },
    deps.config,
    deps.clock,
  );
}
