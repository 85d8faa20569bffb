import { sql } from 'drizzle-orm';
import { createSlackBot, type SlackBot } from '../../src/app/slack-bot.ts';
import { loadConfig } from '../../src/config.ts';
import { LocalWebApi } from '../../src/console/local-web-api.ts';
import {
  type SendOptions,
  type SlackHttpResponse,
  type SlackRequest,
  sendSigned,
} from '../../src/console/sign-request.ts';
import type { Deps } from '../../src/context.ts';
import { type Db, queryRows } from '../../src/db/client.ts';
import { seedDemo } from '../../src/db/seed-demo.ts';
import { opsRoutes } from '../../src/http/ops-routes.ts';
import { toCustomRoutes } from '../../src/http/routes.ts';
import { silentLogger } from '../../src/logger.ts';
import { createMetrics } from '../../src/metrics/metrics.ts';
import { slackNightReporter } from '../../src/report/slack-night-reporter.ts';
import { createDeliveries, type Deliveries } from '../../src/scheduler/deliveries.ts';
import type { StepDeps } from '../../src/scheduler/night-reporter.ts';
import { followNights, type NightFollower } from '../../src/scheduler/refresh-night.ts';
import { boltLogger } from '../../src/slack/bolt-logger.ts';
import { createSlackClient } from '../../src/slack/web-client.ts';
import { runDateOf } from '../../src/time/business-day.ts';
import { resetProvidersFromConfig } from '../support/insert-rows.ts';
import { HIGH_LIMITS } from '../support/worker-fixtures.ts';
import { Monitors } from './monitors.ts';
import { oracleNight } from './oracle.ts';
import { SimProviders } from './sim-providers.ts';
import { SlackProxy } from './slack-proxy.ts';

/**
 * One simulated deployment, composed as src/app/bot.ts composes `sched serve`, except that the
 * clock is virtual (`at.now`), the timers are the simulator's commands and the providers are
 * SimProviders: the Bolt app over signed HTTP with the ops routes on its port, the Web API
 * stand-in, the reporter, the night follower and the metrics. A fresh world per run, on a
 * database emptied and seeded again.
 */

export const SIGNING_SECRET = 'sim-signing-secret';
export const BOT_TOKEN = 'xoxb-sim-token';
export const REPORT_CHANNEL = 'C0SIMREPORT';
export const ADMIN = 'U0SIMADMIN';
export const GROUP_ADMIN = 'U0SIMGROUP';
export const OUTSIDER = 'U0SIMOUTSIDE';
export const ADMIN_GROUP = 'S0SIMADMINS';
export const CRON_SECRET = 'sim-cron-secret-0123456789';

export interface World {
  db: Db;
  /** The PostgreSQL database's URL (undefined on PGlite): the database faults need it. */
  databaseUrl: string | undefined;
  at: { now: Date; runningSince: number | undefined };
  deps: Deps;
  stepDeps: StepDeps;
  api: LocalWebApi;
  /** Between the app and `api`: loses replies, holds calls (slack-proxy.ts). */
  proxy: SlackProxy;
  slack: SlackBot;
  nights: NightFollower;
  /** The scheduler's Slack deliveries, run apart from its ticks (deliveries.ts). */
  deliveries: Deliveries;
  providers: SimProviders;
  /** The heartbeat and PagerDuty, as the product reported to them (monitors.ts). */
  monitors: Monitors;
  /** http://127.0.0.1:port of the app (Slack events and ops routes). */
  baseUrl: string;
  send(request: SlackRequest, options?: Partial<SendOptions>): Promise<SlackHttpResponse>;
  /** The last request a person sent (for a replay later, inside Slack's five minutes). */
  /** The last request sent and when, on the virtual clock: ReplayLast sends it again. */
  lastRequest: { request: SlackRequest; outsider: boolean; at: Date } | undefined;
  /** Waits until nothing is in flight: no night pass, no Slack call for a while. */
  settle(): Promise<void>;
  stop(): Promise<void>;
}

export const simEnv = (apiUrl: string, monitors?: Monitors): Record<string, string> => ({
  ...(monitors
    ? {
        HEARTBEAT_URL: monitors.heartbeatUrl,
        PAGERDUTY_ROUTING_KEY: 'sim-routing-key',
        PAGERDUTY_EVENTS_URL: monitors.pagerDutyUrl,
      }
    : {}),
  // A Slack call that never answers ends here (SlackHangs forever), after the client's retries.
  SLACK_TIMEOUT_MS: '2000',
  SLACK_BOT_TOKEN: BOT_TOKEN,
  SLACK_SIGNING_SECRET: SIGNING_SECRET,
  SLACK_API_URL: apiUrl,
  SLACK_REPORT_CHANNEL: REPORT_CHANNEL,
  SLACK_ADMIN_USERS: ADMIN,
  SLACK_ADMIN_USERGROUP: ADMIN_GROUP,
  SIMULATED_PROFILE: 'ideal',
  CRON_SECRET,
  LOG_LEVEL: 'silent',
  ...HIGH_LIMITS,
});

/** Empties every table of the schema (whatever migrations added) and seeds the small world. */
export async function resetDatabase(db: Db, orgs: number): Promise<void> {
  const tables = await queryRows<{ name: string }>(
    db,
    // coverage_rollup is emptied by a trigger on the tables it rolls up; partitions go with their
    // parent; the installation row stays (startWorld sets it to the world's start).
    sql`select quote_ident(c.relname) as name from pg_class c join pg_namespace n on n.oid = c.relnamespace
        where n.nspname = 'public' and c.relkind in ('r', 'p') and not c.relispartition
          and c.relname not in ('coverage_rollup', 'installation')`,
  );
  if (tables.length > 0)
    await db.execute(
      sql.raw(`truncate table ${tables.map((t) => t.name).join(', ')} restart identity cascade`),
    );
  // seedDemo's org 0 is a starter over its quota (32 prompts); the others have promptsPerOrg.
  await seedDemo(db, { orgs, promptsPerOrg: 4 });
  await resetProvidersFromConfig(db, loadConfig({ ...simEnv('http://127.0.0.1:1/api/') }));
}

export async function startWorld(db: Db, start: Date, databaseUrl?: string): Promise<World> {
  // The world was set up at its start: nights due before it were never owed to it.
  await db.execute(sql`update installation set installed_at = ${start.toISOString()}::timestamptz`);
  const at: World['at'] = { now: new Date(start), runningSince: undefined };
  // Still between commands; while workers run it moves with real time, as their waits (a
  // provider's pause, a backoff) are measured on it.
  const clock = () =>
    new Date(at.now.getTime() + (at.runningSince === undefined ? 0 : performance.now() - at.runningSince));
  const api = new LocalWebApi({ token: BOT_TOKEN, usergroups: { [ADMIN_GROUP]: [GROUP_ADMIN] }, clock });
  await api.start();
  const proxy = new SlackProxy(api.url);
  await proxy.start();
  const monitors = new Monitors(async (runDate) => {
    const snoozes = await queryRows<{ n: number }>(db, sql`select count(*)::int as n from snoozes`);
    return { oracle: await oracleNight(db, runDate), snoozed: (snoozes[0]?.n ?? 0) > 0 };
  });
  await monitors.start();
  const config = loadConfig(simEnv(proxy.url, monitors));
  monitors.tonight = () => runDateOf(clock(), config.timezone);
  const logger = silentLogger();
  const deps: Deps = { db, config, logger, clock };
  // The product's client (src/slack/web-client.ts): a timeout, a few short retries.
  const client = createSlackClient(BOT_TOKEN, {
    apiUrl: proxy.url,
    timeoutMs: 2_000,
    logger: boltLogger(logger),
  });
  const deliveries = createDeliveries(logger);
  const stepDeps: StepDeps = {
    ...deps,
    reporter: slackNightReporter({ ...deps, client }, { editIntervalMs: 50, chart: false }),
  };
  const nights = followNights(stepDeps);
  const metrics = createMetrics(deps);
  const routes = opsRoutes({
    ...stepDeps,
    metrics,
    workers: () => ({ expected: 1, alive: 1 }),
  });
  const slack = createSlackBot(deps, {
    botToken: BOT_TOKEN,
    signingSecret: SIGNING_SECRET,
    apiUrl: proxy.url,
    port: 0,
    host: '127.0.0.1',
    customRoutes: toCustomRoutes(routes, logger),
    repair: { progressIntervalMs: 50 },
    accessCacheMs: 0,
    slackRetry: { initialRetryMs: 10, maxRetryMs: 20 },
  });
  const { port } = await slack.start();
  const baseUrl = `http://127.0.0.1:${port}`;
  const providers = new SimProviders();

  async function settle(): Promise<void> {
    let seen = -1;
    let stable = 0;
    // Quiet: three looks 40 ms apart with no new Slack call and no night pass in flight.
    while (stable < 3) {
      await nights.settled();
      await deliveries.settled();
      await new Promise((resolve) => setTimeout(resolve, 40));
      if (api.calls.length === seen) stable += 1;
      else {
        stable = 0;
        seen = api.calls.length;
      }
    }
  }

  const world: World = {
    db,
    databaseUrl,
    at,
    deps,
    stepDeps,
    api,
    proxy,
    slack,
    nights,
    deliveries,
    providers,
    monitors,
    baseUrl,
    lastRequest: undefined,
    send: (request, options = {}) =>
      sendSigned(`${baseUrl}/slack/events`, request, { signingSecret: SIGNING_SECRET, ...options }),
    settle,
    async stop() {
      await nights.settled();
      await deliveries.settled();
      await slack.stop();
      await proxy.stop();
      await api.stop();
      await monitors.stop();
    },
  };
  return world;
}
