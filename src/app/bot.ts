import { hasSlackCredentials, loadConfig } from '../config.ts';
import { type LocalSlack, startLocalSlack } from '../console/local-slack.ts';
import { consoleFacts, consoleLogFile, localWorkspace } from '../console/local-workspace.ts';
import { startConsole } from '../console/start-console.ts';
import { demoHintForEmptyDatabase, seedFreshEmbedded } from '../db/seed-policy.ts';
import { opsRoutes } from '../http/ops-routes.ts';
import { listenRoutes, toCustomRoutes } from '../http/routes.ts';
import { createLogger, type Logger } from '../logger.ts';
import { createMetrics } from '../metrics/metrics.ts';
import { listProviderSettings, withProviderSettings } from '../providers/provider-settings.ts';
import { createProviderAdapters } from '../providers/registry.ts';
import { SIMULATED_PROFILE_SPECS } from '../providers/simulated.ts';
import { slackNightReporter } from '../report/slack-night-reporter.ts';
import { startScheduler } from '../scheduler/cron.ts';
import { watchNight } from '../scheduler/early-warning.ts';
import { followNights } from '../scheduler/refresh-night.ts';
import { startWorker } from '../scheduler/worker.ts';
import { boltLogger } from '../slack/bolt-logger.ts';
import { createSlackLink } from '../slack/slack-link.ts';
import { createSlackClient } from '../slack/web-client.ts';
import { openRuntime, type Runtime } from './runtime.ts';
import { createShutdown, type Shutdown } from './shutdown.ts';
import { createSlackBot, postMissedReportsWhenSlackIsBack } from './slack-bot.ts';

/**
 * The composition root of `npm start` and `sched serve`: config -> logger -> database and
 * migrations -> demo data on a fresh embedded database -> providers -> workers -> Slack app (with
 * the ops routes on its port) -> scheduler. Without Slack credentials it opens the local console
 * when someone is there to type (`console`), and otherwise runs headless: the ops routes on PORT,
 * the scheduler and the workers, with no Bolt app since nothing could reach it.
 */

export interface BotIo {
  env: Record<string, string | undefined>;
  stdin: NodeJS.ReadableStream;
  stdout: NodeJS.WritableStream & { isTTY?: boolean };
  /** Open the local console when there are no Slack credentials (someone is there to type). */
  console: boolean;
}

export interface RunningBot {
  port: number;
  /** Resolves once everything is stopped and the database closed. */
  closed: Promise<void>;
  shutdown(reason: string): Promise<void>;
  logger: Logger;
}

type Mode = 'slack' | 'console' | 'headless';

export async function startSchedBot(io: BotIo): Promise<RunningBot> {
  const initial = loadConfig(io.env);
  const mode: Mode = hasSlackCredentials(initial) ? 'slack' : io.console ? 'console' : 'headless';
  const logFile = mode === 'console' ? consoleLogFile(initial) : undefined;
  const logger = createLogger({ level: initial.logLevel, file: logFile });
  const rt = await openRuntime(io.env, {
    config: initial,
    logger,
    configOverrides: mode === 'console' ? localWorkspace : undefined,
  });
  const shutdown = createShutdown(logger);
  shutdown.add('database', () => rt.database.close());
  try {
    return await compose(rt, io, mode, shutdown, logFile ?? '(stdout)');
  } catch (error) {
    await shutdown.stop('start-up failed');
    throw error;
  }
}

async function compose(rt: Runtime, io: BotIo, mode: Mode, shutdown: Shutdown, logFile: string) {
  const { config, logger } = rt;
  const seeded = await seedFreshEmbedded(rt.database, logger, { console: mode === 'console' });
  const localSlack: LocalSlack | undefined =
    mode === 'console' ? await startLocalSlack({ clock: rt.clock }) : undefined;
  if (localSlack) shutdown.add('localSlack', () => localSlack.stop());
  const botToken = localSlack?.botToken ?? String(config.slack.botToken);
  const apiUrl = localSlack?.api.url ?? config.slack.apiUrl;

  // Every step (scheduler, HTTP, console) posts and edits the report through this one reporter;
  // headless there is no Slack to post to, and each step says so.
  // Every client has a timeout and bounded retries: a Slack that hangs must not hold a step.
  const clientSettings = { apiUrl, timeoutMs: config.slack.timeoutMs, logger: boltLogger(logger) };
  const client = createSlackClient(botToken, clientSettings);
  const stepDeps = {
    ...rt,
    reporter: mode === 'headless' ? undefined : slackNightReporter({ ...rt, client }),
  };
  const nights = followNights(stepDeps);

  // Keys from this process's environment, models from the providers table.
  const settings = await listProviderSettings(rt.db);
  const demoRpm = SIMULATED_PROFILE_SPECS.demo.rpm;
  const demoHint = await demoHintForEmptyDatabase(rt.database, {
    providersReady: settings.every((s) => s.enabled && s.rpm >= demoRpm),
    demoProfile: config.simulatedProfile === 'demo',
    demoRpm,
  });
  if (demoHint && mode !== 'console') logger.warn(`no organizations in this database: ${demoHint}`);
  const adapters = createProviderAdapters(withProviderSettings(config, settings), { clock: rt.clock });
  const metrics = createMetrics(rt);
  const worker = startWorker(rt, {
    adapters,
    concurrency: config.worker.concurrency,
    onResult: (event) => metrics.observeProviderCall(event),
    onTaskFinished: nights.taskFinished,
  });
  let workerAlive = true;
  void worker.done.finally(() => {
    workerAlive = false;
  });
  shutdown.add('workers', async () => {
    await worker.stop();
    await nights.settled();
  });

  // Built before the app: /healthz reads it, and the app's receiver takes its routes at once.
  const link =
    mode === 'slack' ? createSlackLink(createSlackClient(botToken, clientSettings), rt) : undefined;
  const routes = opsRoutes({
    ...stepDeps,
    metrics,
    workers: () => ({ expected: 1, alive: workerAlive ? 1 : 0 }),
    slack: () => link?.status(),
  });
  const slack =
    mode === 'headless'
      ? undefined
      : createSlackBot(rt, {
          botToken,
          signingSecret: localSlack?.signingSecret ?? String(config.slack.signingSecret),
          appToken: localSlack ? undefined : config.slack.appToken,
          apiUrl,
          port: config.port,
          // The console's app answers only this machine; a real workspace must reach the app.
          ...(localSlack ? { host: '127.0.0.1' } : {}),
          customRoutes: toCustomRoutes(routes, logger),
          link,
        });
  let port: number;
  if (slack) {
    if (link) postMissedReportsWhenSlackIsBack({ ...stepDeps, link });
    ({ port = config.port } = await slack.start());
    shutdown.add('slack', () => slack.stop());
  } else {
    logger.warn('no Slack credentials and no terminal: running headless (no Slack app, reports not posted)');
    const server = await listenRoutes(routes, logger, { port: config.port });
    shutdown.add('slack', () => server.close());
    port = server.port;
  }
  const shownMode = mode === 'slack' ? (config.slack.appToken ? 'socket' : 'http') : mode;
  logger.info({ port, mode: shownMode === 'console' ? 'local console' : shownMode }, 'sched-bot listening');

  if (localSlack) {
    localSlack.setAppUrl(`http://127.0.0.1:${port}/slack/events`);
    const localConsole = await startConsole({
      deps: { ...stepDeps, providers: [...adapters.keys()] },
      slack: localSlack,
      input: io.stdin,
      output: io.stdout,
      onQuit: () => void shutdown.stop('console quit'),
      facts: consoleFacts(config, {
        databaseKind: rt.database.kind,
        seeded,
        adapters,
        settings,
        demoHint,
        port,
        logFile,
      }),
    });
    shutdown.add('console', () => localConsole.close());
  }

  const scheduler = startScheduler(stepDeps);
  shutdown.add('scheduler', () => scheduler.stop());
  // The night watch looks every NIGHT_WATCH_INTERVAL_SECONDS, between the scheduler's ticks.
  const nightWatch = watchNight(stepDeps);
  shutdown.add('nightWatch', () => nightWatch.stop());
  return { port, closed: shutdown.closed, shutdown: (reason: string) => shutdown.stop(reason), logger };
}
