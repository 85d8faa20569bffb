import { webApi } from '@slack/bolt';
import { sql } from 'drizzle-orm';
import { describeFailure, formatFailure } from './cli/failure.ts';
import { openRuntime, type Runtime } from './cli/runtime.ts';
import { hasSlackCredentials, loadConfig } from './config.ts';
import { type LocalSlack, startLocalSlack } from './console/local-slack.ts';
import { consoleLogFile, describeProviders, localWorkspace } from './console/local-workspace.ts';
import { startConsole } from './console/start-console.ts';
import { queryOne } from './db/client.ts';
import { seedDemo } from './db/seed-demo.ts';
import { toError } from './errors.ts';
import { EXIT } from './exit-codes.ts';
import { opsRoutes } from './http/ops-routes.ts';
import { listenRoutes, toCustomRoutes } from './http/routes.ts';
import { createLogger, type Logger } from './logger.ts';
import { createMetrics } from './metrics.ts';
import { listProviderSettings, withProviderSettings } from './providers/provider-settings.ts';
import { createProviderAdapters } from './providers/registry.ts';
import { startScheduler } from './scheduler/cron.ts';
import type { StepDeps } from './scheduler/night-reporter.ts';
import { followNights, postDueReports } from './scheduler/refresh-night.ts';
import { startWorker } from './scheduler/worker.ts';
import { createSlackApp } from './slack/app.ts';
import { slackNightReporter } from './slack/night-reporter.ts';
import type { SlackHealth } from './slack/slack-link.ts';
import { logUnhandledRejections } from './unhandled-rejections.ts';

/**
 * The composition root of `npm start` and `sched serve`: config -> logger -> database ->
 * migrations -> demo data on a fresh embedded database -> providers -> workers -> Slack app
 * (with the ops routes on its port) -> scheduler. Without Slack credentials it opens the local
 * console when asked to (`console`: `npm start` on a terminal), and otherwise runs headless: the
 * ops routes on PORT, the scheduler and the workers, with no Bolt app since nothing could reach
 * it. SIGINT/SIGTERM stop it in the reverse order and resolve `closed`.
 */

export interface BotIo {
  env: Record<string, string | undefined>;
  stdin: NodeJS.ReadableStream;
  stdout: NodeJS.WritableStream & { isTTY?: boolean };
  /** Open the local console when there are no Slack credentials (someone is there to type). */
  console: boolean;
}

type Mode = 'slack' | 'console' | 'headless';

export interface RunningBot {
  port: number;
  /** Resolves once everything is stopped and the database closed. */
  closed: Promise<void>;
  shutdown(reason: string): Promise<void>;
  logger: Logger;
}

export async function startSchedBot(io: BotIo): Promise<RunningBot> {
  const initial = loadConfig(io.env);
  const mode: Mode = hasSlackCredentials(initial) ? 'slack' : io.console ? 'console' : 'headless';
  const local = mode === 'console';
  const logFile = local ? consoleLogFile(initial) : undefined;
  const logger = createLogger({ level: initial.logLevel, file: logFile });
  const rt = await openRuntime(io.env, {
    logger,
    configOverrides: local ? localWorkspace(io.env) : undefined,
  });
  const parts: Parts = { database: () => rt.database.close() };
  try {
    return await compose(rt, io, { mode, logFile: logFile ?? '(stdout)', parts });
  } catch (error) {
    await stopAll(parts, logger);
    throw error;
  }
}

/**
 * Shutdown order: no new step starts, workers finish or release their leases, the console and
 * the receiver close, and the database goes last because everything before it may still write.
 */
const STOP_ORDER = ['scheduler', 'workers', 'console', 'slack', 'localSlack', 'database'] as const;
type Parts = Partial<Record<(typeof STOP_ORDER)[number], () => Promise<unknown>>>;

/** Stops each part in order; one that fails is logged and the others still stop. */
async function stopAll(parts: Parts, logger: Logger): Promise<void> {
  for (const name of STOP_ORDER) {
    const stop = parts[name];
    delete parts[name];
    try {
      await stop?.();
    } catch (error) {
      logger.error({ err: toError(error), part: name }, 'shutdown: part failed to stop');
    }
  }
}

/** Demo data is loaded only into an embedded database that has no organization yet. */
async function isFreshEmbedded(rt: Runtime): Promise<boolean> {
  if (rt.database.kind !== 'pglite') return false;
  const row = await queryOne<{ n: number }>(rt.db, sql`select count(*)::int as n from organizations`);
  return row?.n === 0;
}

async function compose(
  rt: Runtime,
  io: BotIo,
  ctx: { mode: Mode; logFile: string; parts: Parts },
): Promise<RunningBot> {
  const { config, logger } = rt;
  const { parts } = ctx;

  const seeded = (await isFreshEmbedded(rt)) ? await seedDemo(rt.db) : undefined;
  if (seeded && ctx.mode !== 'console') {
    logger.warn(
      { ...seeded },
      'the embedded database was empty: demo organizations loaded (set DATABASE_URL for real data)',
    );
  } else if (seeded) {
    logger.info({ ...seeded }, 'first run: demo data seeded');
  }

  const localSlack: LocalSlack | undefined =
    ctx.mode === 'console' ? await startLocalSlack({ clock: rt.clock }) : undefined;
  if (localSlack) parts.localSlack = () => localSlack.stop();
  const botToken = localSlack?.botToken ?? String(config.slack.botToken);
  const apiUrl = localSlack?.api.url ?? config.slack.apiUrl;
  // Every step (scheduler, HTTP, console) posts and edits the report through this one reporter;
  // headless there is no Slack to post to, and each step says so.
  const reporter =
    ctx.mode === 'headless'
      ? undefined
      : slackNightReporter(rt, new webApi.WebClient(botToken, apiUrl ? { slackApiUrl: apiUrl } : {}));
  const stepDeps: StepDeps = { ...rt, reporter };
  const nights = followNights(stepDeps);

  // Keys from this process's environment, models from the providers table.
  const settings = await listProviderSettings(rt.db);
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
  parts.workers = async () => {
    await worker.stop();
    await nights.settled();
  };

  let slackHealth: () => SlackHealth | undefined = () => undefined;
  const routes = opsRoutes({
    ...stepDeps,
    metrics,
    workers: () => ({ expected: 1, alive: workerAlive ? 1 : 0 }),
    slack: () => slackHealth(),
  });
  let port: number;
  if (ctx.mode === 'headless') {
    logger.warn('no Slack credentials and no terminal: running headless (no Slack app, reports not posted)');
    const server = await listenRoutes(routes, logger, { port: config.port });
    parts.slack = () => server.close();
    port = server.port;
  } else {
    const slack = createSlackApp(rt, {
      botToken,
      signingSecret: localSlack?.signingSecret ?? String(config.slack.signingSecret),
      appToken: localSlack ? undefined : config.slack.appToken,
      apiUrl,
      port: config.port,
      // The console's app answers only this machine; a real workspace must reach the app.
      ...(localSlack ? { host: '127.0.0.1' } : {}),
      customRoutes: toCustomRoutes(routes, logger),
    });
    // Slack unreachable at start is not fatal: the link checks it in the background (/healthz),
    // and once Slack answers again the reports it missed are posted.
    if (!localSlack) {
      slackHealth = () => slack.link.status();
      slack.link.onSlackBack(() =>
        postDueReports(stepDeps, rt.clock()).then(
          (posted) =>
            posted.length > 0 && logger.info({ runDates: posted }, 'Slack is back: missed reports posted'),
          (error: unknown) =>
            logger.error({ err: toError(error) }, 'Slack is back, but the missed reports failed'),
        ),
      );
    }
    ({ port = config.port } = await slack.start());
    parts.slack = () => slack.stop();
  }
  const mode = ctx.mode === 'slack' ? (config.slack.appToken ? 'socket' : 'http') : ctx.mode;
  logger.info({ port, mode: mode === 'console' ? 'local console' : mode }, 'sched-bot listening');

  let resolveClosed: () => void = () => {};
  const closed = new Promise<void>((r) => {
    resolveClosed = r;
  });
  let shuttingDown: Promise<void> | undefined;
  const shutdown = (reason: string) => {
    shuttingDown ??= (async () => {
      logger.info({ reason }, 'sched-bot stopping');
      await stopAll(parts, logger);
      resolveClosed();
    })();
    return shuttingDown;
  };

  if (localSlack) {
    localSlack.setAppUrl(`http://127.0.0.1:${port}/slack/events`);
    const localConsole = await startConsole({
      deps: { ...stepDeps, providers: [...adapters.keys()] },
      slack: localSlack,
      input: io.stdin,
      output: io.stdout,
      onQuit: () => void shutdown('console quit'),
      facts: {
        database:
          rt.database.kind === 'pglite'
            ? `embedded PGlite in ${config.pgliteDir}`
            : 'PostgreSQL (DATABASE_URL)',
        seeded: seeded && { organizations: seeded.organizations, activePrompts: seeded.activePrompts },
        providers: describeProviders(adapters, config),
        workers: config.worker.concurrency,
        httpUrl: `http://localhost:${port}`,
        cronSecretSet: Boolean(config.cronSecret),
        logFile: ctx.logFile,
        reportChannel: String(config.slack.reportChannel),
      },
    });
    parts.console = async () => localConsole.close();
  }

  const scheduler = startScheduler(stepDeps);
  parts.scheduler = () => scheduler.stop();
  return { port, closed, shutdown, logger };
}

/**
 * Process wiring for `npm start` and `sched serve`: signals in, exit code out. The handlers are
 * installed before anything starts, so a SIGTERM during start-up still stops cleanly; a second
 * signal while stopping ends the process at once.
 */
export async function runSchedBot(io: BotIo): Promise<number> {
  let bot: RunningBot | undefined;
  let received: NodeJS.Signals | undefined;
  const onSignal = (signal: NodeJS.Signals) => {
    if (received) process.exit(130);
    received = signal;
    if (bot) void bot.shutdown(signal);
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  // One request or loop that forgets to catch must not end the bot, scheduler and workers.
  const rejections = logUnhandledRejections(() => bot?.logger);
  try {
    bot = await startSchedBot(io);
    if (received) void bot.shutdown(received);
    await bot.closed;
    return EXIT.ok;
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    rejections.uninstall();
  }
}

/** The `npm start` process (bin/start.js): signals, streams and the exit code of this process. */
export async function main(): Promise<never> {
  try {
    // The console needs someone at a terminal; `--console` asks for it anyway (piped scripts).
    const withConsole = process.stdin.isTTY === true || process.argv.includes('--console');
    const code = await runSchedBot({
      env: process.env,
      stdin: process.stdin,
      stdout: process.stdout,
      console: withConsole,
    });
    process.exit(code);
  } catch (error) {
    const failure = describeFailure(error, process.env);
    process.stderr.write(formatFailure('sched-bot', failure));
    process.exit(failure.code);
  }
}

// Run as a file of its own too: `node --import tsx src/index.ts`, `node dist/index.js`.
const isEntryPoint = process.argv[1] !== undefined && /(src|dist)[/\\]index\.[jt]s$/.test(process.argv[1]);
if (isEntryPoint) await main();
