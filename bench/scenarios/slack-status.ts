import { sql } from 'drizzle-orm';
import { createSlackBot } from '../../src/app/slack-bot.ts';
import { loadConfig } from '../../src/config.ts';
import { LocalWebApi } from '../../src/console/local-web-api.ts';
import { buildCommand, sendSigned } from '../../src/console/sign-request.ts';
import type { Deps } from '../../src/context.ts';
import { queryOne } from '../../src/db/client.ts';
import { silentLogger } from '../../src/logger.ts';
import { createProviderAdapters } from '../../src/providers/registry.ts';
import { runTrigger } from '../../src/scheduler/trigger.ts';
import { startWorker } from '../../src/scheduler/worker.ts';
import { EVENTS_PATH } from '../../src/slack/app.ts';
import type { BenchContext, Scenario } from '../context.ts';
import { benchEnv, today } from '../databases.ts';
import type { HistoryDb } from '../history.ts';
import { fmt, percentile, sleep, waitUntil } from '../measure.ts';
import { startSched } from '../processes.ts';

/**
 * `/sched-status` as Slack sends it, while tonight's night runs on top of the history: the real
 * Bolt app over HTTP, signed requests one after another, the Slack Web API a loopback stand-in.
 * Ack: the HTTP answer to the command. Answer: the full status message arriving at the
 * response_url. On PostgreSQL the workers are a `sched worker` process, on PGlite (one process
 * by design) they run in the bench's own process, as `npm start` runs them.
 */

const GOALS = { ack: 300, answer: 1_000 };
const SIGNING_SECRET = 'bench-signing-secret';
const BOT_TOKEN = 'xoxb-bench';
const ADMIN = 'U0BENCHADM';
/** How long the bench waits for one answer before it reports "over" and stops asking. */
const ANSWER_CAP_MS = 120_000;

async function completedToday(history: HistoryDb, runDate: string): Promise<{ done: number; live: number }> {
  const row = await queryOne<{ done: number; live: number }>(
    history.db,
    sql`select count(*) filter (where status in ('completed', 'failed'))::int as done,
               count(*) filter (where status in ('pending', 'processing'))::int as live
        from batch_tasks where run_date = ${runDate}::date`,
  );
  return row ?? { done: 0, live: 0 };
}

/** Workers on tonight's night: a `sched worker` process on PostgreSQL, in-process on PGlite. */
function startWorkers(history: HistoryDb): { stop(): Promise<void> } {
  const env = benchEnv({ WORKER_CONCURRENCY: '32' });
  if (history.url) return startSched(['worker'], { ...env, DATABASE_URL: history.url });
  const config = loadConfig(env);
  return startWorker(history.deps, { adapters: createProviderAdapters(config), concurrency: 32 });
}

async function onBackend(ctx: BenchContext, backend: HistoryDb['kind']): Promise<void> {
  const history = await ctx.history(backend);
  const runDate = today(history.config);
  ctx.log(`/sched-status (${backend}): tonight's trigger, ${fmt.count(history.unitsPerNight)} tasks`);
  await runTrigger(history.deps, { runDate, triggeredBy: 'bench', scheduled: false });
  const workers = startWorkers(history);
  const api = new LocalWebApi({ token: BOT_TOKEN });
  await api.start();
  const config = loadConfig(
    benchEnv({
      SLACK_BOT_TOKEN: BOT_TOKEN,
      SLACK_SIGNING_SECRET: SIGNING_SECRET,
      SLACK_API_URL: api.url,
      SLACK_REPORT_CHANNEL: 'C0BENCH',
      SLACK_ADMIN_USERS: ADMIN,
    }),
  );
  const deps: Deps = { db: history.db, config, logger: silentLogger(), clock: () => new Date() };
  const slack = createSlackBot(deps, {
    botToken: BOT_TOKEN,
    signingSecret: SIGNING_SECRET,
    apiUrl: api.url,
    port: 0,
    host: '127.0.0.1',
  });
  const acks: number[] = [];
  const answers: number[] = [];
  let stillRunning = false;
  let capped = false;
  try {
    const { port } = await slack.start();
    const url = `http://127.0.0.1:${port}${EVENTS_PATH}`;
    await waitUntil(async () => (await completedToday(history, runDate)).done > 0, {
      everyMs: 200,
      timeoutMs: 180_000,
      what: 'the workers starting on tonight',
    });
    const { requests, maxSeconds } = ctx.sizes.slackStatus;
    const deadline = performance.now() + maxSeconds * 1000;
    for (let i = 0; i < requests && performance.now() < deadline; i++) {
      const id = `status-${i}`;
      const request = buildCommand({
        command: '/sched-status',
        userId: ADMIN,
        responseUrl: api.responseUrl(id),
      });
      const start = performance.now();
      const response = await sendSigned(url, request, { signingSecret: SIGNING_SECRET });
      acks.push(performance.now() - start);
      if (response.status !== 200) throw new Error(`/sched-status answered HTTP ${response.status}`);
      const seen = await api
        .waitFor((call) => call.method === 'response_url' && call.responseId === id, ANSWER_CAP_MS)
        .then(() => true)
        .catch(() => false);
      answers.push(performance.now() - start);
      // An answer slower than the cap is a figure ("over 2 min"), and the last one asked for.
      if (!seen) {
        capped = true;
        break;
      }
      // A person reads the answer before asking again; it also lets the workers breathe.
      await sleep(100);
    }
    stillRunning = (await completedToday(history, runDate)).live > 0;
  } finally {
    await slack.stop();
    await api.stop();
    await workers.stop();
  }
  const night = stillRunning ? 'workers ran throughout' : 'the night finished during the requests';
  for (const [what, samples] of [
    ['ack', acks],
    ['answer', answers],
  ] as const) {
    const p50 = percentile(samples, 0.5);
    const p99 = percentile(samples, 0.99);
    const over = what === 'answer' && capped && p99 >= ANSWER_CAP_MS;
    ctx.emit({
      scenario: '/sched-status',
      backend,
      case: `${what}, ${ctx.sizes.history.nights} nights + tonight of ${fmt.count(history.unitsPerNight)}`,
      product: `p99 ${over ? '> ' : ''}${fmt.duration(p99)}`,
      productValue: p99,
      ratio: p99 / GOALS[what],
      ratioMeaning: '/sched-status: p99 latency / its goal (at most 1 meets it)',
      goal: `p99 < ${fmt.duration(GOALS[what])}`,
      met: p99 < GOALS[what],
      note:
        `p50 ${fmt.duration(p50)}; ${samples.length} requests; ${night}` +
        (over ? `; the last answer did not come within ${fmt.duration(ANSWER_CAP_MS)}` : ''),
      extra: { p50, p99, requests: samples.length },
      samples: { product: samples },
    });
  }
}

export const slackStatus: Scenario = {
  name: 'slack-status',
  summary: '/sched-status over signed HTTP at history scale while workers run: ack and answer, p50 and p99',
  async run(ctx) {
    await onBackend(ctx, 'postgres');
    await onBackend(ctx, 'pglite');
  },
};
