import { noLiveWorkerLine } from '../blocks/no-live-worker.ts';
import type { Deps } from '../context.ts';
import { ping } from '../db/client.ts';
import type { ProviderName } from '../providers/types.ts';
import { LATE_AFTER_MINUTES, lateSteps } from '../scheduler/late-step-rules.ts';
import { missedNights } from '../scheduler/missed-nights.ts';
import { installedAt } from '../store/installation.ts';
import { recordedSteps } from '../store/scheduler-runs.ts';
import { providersWithoutLiveWorker } from '../store/workers.ts';
import { addDays, runDateOf } from '../time/business-day.ts';
import { lastFireOnRunDate } from '../time/cron-matcher.ts';
import { withDeadline } from '../time/waits.ts';
import { type HttpRoute, sendDatabaseUnavailable, sendJson } from './respond.ts';

/** What the Slack link reports (src/slack/slack-link.ts); /healthz shows it. */
export interface SlackHealth {
  /** Whether the last check reached Slack; null before the first one finished. */
  reachable: boolean | null;
  /** Slack answered but refused the token (invalid_auth, account_inactive...): an operator must act. */
  authError?: string;
  lastError?: string;
  /** Since when the current state holds. */
  since: string;
}

/**
 * GET /healthz: 200 when this instance can do its job, 503 with the reasons when it cannot.
 * Unhealthy means something a restart or an operator must fix: the database is unreachable,
 * workers died, no live worker can call an enabled provider, or last night's trigger or
 * postcheck failed, is overdue, or is late (the watchdog's rule, late-step-rules.ts). Low coverage is
 * reported but is not a 503: restarting the process would not bring it back, Repair does.
 */

export interface WorkerLiveness {
  /** Worker loops this process started (0 when it runs no workers). */
  expected: number;
  alive: number;
}

export interface HealthDeps extends Deps {
  workers: () => WorkerLiveness;
  /** Whether Slack answers (undefined without Slack: the local console, a worker). */
  slack?: () => SlackHealth | undefined;
}

/** A due step with no run row this long after its time is overdue (the catch-up check missed it). */
export const OVERDUE_MINUTES = 30;
const DB_TIMEOUT_MS = 3_000;

interface StepState {
  status: string | null;
  dueAt: string | null;
  overdue: boolean;
  /**
   * Tonight's trigger has not started, or its postcheck not finished, LATE_AFTER_MINUTES after
   * the cron time (late-step-rules.ts): the same rule that posts the "late" alert.
   */
  late: boolean;
}

export interface HealthReport {
  status: 'ok' | 'unhealthy';
  reasons: string[];
  database: { reachable: boolean; kind?: string; error?: string };
  workers: WorkerLiveness;
  /** Enabled providers that no live worker (any process, any machine) can call. */
  providersWithoutLiveWorker?: ProviderName[];
  /** Slack down is reported, not a 503: a restart would not bring it back. A refused token is. */
  slack?: SlackHealth;
  lastNight: {
    runDate: string;
    trigger: StepState;
    postcheck: StepState & { health: string | null };
  } | null;
  /** Past nights that were owed and never ran, not backfilled nor acknowledged (`sched ack`). */
  missedNights?: string[];
  checkedAt: string;
}

/** Pure: the verdict from the facts. */
export function assessHealth(report: Omit<HealthReport, 'status' | 'reasons'>): HealthReport {
  const reasons: string[] = [];
  if (!report.database.reachable)
    reasons.push(`database unreachable: ${report.database.error ?? 'no answer'}`);
  if (report.workers.alive < report.workers.expected) {
    reasons.push(
      `${report.workers.expected - report.workers.alive} of ${report.workers.expected} workers stopped`,
    );
  }
  const noWorker = noLiveWorkerLine(report.providersWithoutLiveWorker);
  if (noWorker) reasons.push(noWorker);
  if (report.slack?.authError) reasons.push(`Slack refuses the bot token: ${report.slack.authError}`);
  for (const runDate of report.missedNights ?? []) {
    reasons.push(
      `night_missed: ${runDate} never ran (backfill it with \`sched trigger --date ${runDate}\`, or acknowledge it with \`sched ack ${runDate}\`)`,
    );
  }
  const night = report.lastNight;
  if (night) {
    for (const [name, step] of [
      ['trigger', night.trigger],
      ['postcheck', night.postcheck],
    ] as const) {
      if (step.status === 'failed') reasons.push(`${night.runDate} ${name} failed`);
      if (step.overdue)
        reasons.push(`${night.runDate} ${name} is overdue (due at ${step.dueAt}, no run recorded)`);
      else if (step.late) {
        const what = name === 'trigger' ? 'has not started' : 'has not finished';
        reasons.push(
          `${night.runDate} ${name} is late: ${what} ${LATE_AFTER_MINUTES} minutes after its time (due at ${step.dueAt})`,
        );
      }
    }
  }
  return { ...report, status: reasons.length ? 'unhealthy' : 'ok', reasons };
}

const withTimeout = <T>(promise: Promise<T>, ms: number): Promise<T> =>
  withDeadline(promise, ms, (): never => {
    throw new Error(`no answer within ${ms} ms`);
  });

/** The latest business day whose trigger time has passed: today after 03:00, else yesterday. */
function lastNightOf(deps: HealthDeps, now: Date): string {
  const today = runDateOf(now, deps.config.timezone);
  return lastFireOnRunDate(deps.config.cron.trigger, today, now, deps.config.timezone)
    ? today
    : addDays(today, -1);
}

function stepState(
  expression: string,
  runDate: string,
  now: Date,
  zone: string,
  status: string | null,
  late: boolean,
  installed: Date,
): StepState {
  const due = lastFireOnRunDate(expression, runDate, now, zone);
  // Only today's steps can be overdue: the catch-up check runs today's; a past night that never
  // ran is a missed night. A time before the database was set up owed nothing.
  const today = runDate === runDateOf(now, zone);
  const overdue =
    today &&
    status === null &&
    due !== undefined &&
    due.getTime() >= installed.getTime() &&
    now.getTime() - due.getTime() > OVERDUE_MINUTES * 60_000;
  return { status, dueAt: due?.toISOString() ?? null, overdue, late };
}

export async function checkHealth(deps: HealthDeps): Promise<HealthReport> {
  const now = deps.clock();
  const workers = deps.workers();
  const slack = deps.slack?.();
  const facts = { workers, ...(slack ? { slack } : {}), checkedAt: now.toISOString() };
  try {
    await withTimeout(ping(deps.db), DB_TIMEOUT_MS);
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    return assessHealth({ ...facts, database: { reachable: false, error: message }, lastNight: null });
  }
  const runDate = lastNightOf(deps, now);
  // Whichever entry point recorded a step (scheduler, CLI, HTTP, the console's `night`), it is done.
  const [recorded, installed, unserved, missed] = await Promise.all([
    recordedSteps(deps.db, runDate),
    installedAt(deps.db),
    providersWithoutLiveWorker(deps.db),
    missedNights(deps, now),
  ]);
  const zone = deps.config.timezone;
  const statuses = { trigger: recorded.trigger, postcheck: recorded.postcheck };
  // lateSteps looks at today only, as the overdue check does.
  const late = new Set(
    lateSteps({ cron: deps.config.cron, zone, now, statuses, installedAt: installed }).map((l) => l.step),
  );
  const state = (expression: string, status: string | null, step: 'trigger' | 'postcheck') =>
    stepState(expression, runDate, now, zone, status, late.has(step), installed);
  return assessHealth({
    ...facts,
    database: { reachable: true },
    ...(unserved.length > 0 ? { providersWithoutLiveWorker: unserved } : {}),
    ...(missed.length > 0 ? { missedNights: missed } : {}),
    lastNight: {
      runDate,
      trigger: state(deps.config.cron.trigger, statuses.trigger, 'trigger'),
      postcheck: {
        ...state(deps.config.cron.postcheck, statuses.postcheck, 'postcheck'),
        health: recorded.postcheckHealth,
      },
    },
  });
}

export function healthRoute(deps: HealthDeps): HttpRoute {
  return {
    path: '/healthz',
    methods: ['GET', 'HEAD'],
    async handler(_req, res) {
      const report = await checkHealth(deps);
      // Unreachable database: the same 503 with Retry-After as every other route, the report inside.
      if (!report.database.reachable) {
        sendDatabaseUnavailable(res, report.database.error ?? 'no answer', { ...report });
        return;
      }
      sendJson(res, report.status === 'ok' ? 200 : 503, report);
    },
  };
}
