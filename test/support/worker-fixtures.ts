import { sql } from 'drizzle-orm';
import { loadConfig, type SimulatedProfile } from '../../src/config.ts';
import { type Deps, systemClock } from '../../src/context.ts';
import { type Db, queryRows } from '../../src/db/client.ts';
import { silentLogger } from '../../src/logger.ts';
import { createSimulatedAdapter, type SimulatedOptions } from '../../src/providers/simulated.ts';
import {
  type AskOptions,
  PROVIDER_NAMES,
  type ProviderAdapter,
  type ProviderAnswer,
  type ProviderName,
} from '../../src/providers/types.ts';
import { runTrigger } from '../../src/scheduler/trigger.ts';
import { runDateOf } from '../../src/time/business-day.ts';
import { resetProvidersFromConfig } from './insert-rows.ts';

/**
 * Worker tests run on the real clock: backoff and Retry-After are real waits, and a frozen clock
 * would keep a retried task in the future for ever. Provider limits are raised so that only the
 * limit a test sets on purpose binds.
 */
export const HIGH_LIMITS: Record<string, string> = Object.fromEntries(
  PROVIDER_NAMES.flatMap((p) => [
    [`${p.toUpperCase()}_RPM`, '1000000'],
    [`${p.toUpperCase()}_MAX_CONCURRENCY`, '64'],
  ]),
);

export function workerDeps(db: Db, env: Record<string, string> = {}): Deps {
  const config = loadConfig({ SIMULATED_PROFILE: 'ideal', LOG_LEVEL: 'silent', ...HIGH_LIMITS, ...env });
  return { db, config, logger: silentLogger(), clock: systemClock };
}

/** Writes the providers table from the deps' config (limits included). */
export const syncTestProviders = (deps: Deps) => resetProvidersFromConfig(deps.db, deps.config);

export function simulatedAdapters(
  profile: SimulatedProfile,
  options: SimulatedOptions = {},
  names: readonly ProviderName[] = PROVIDER_NAMES,
): Map<ProviderName, ProviderAdapter> {
  return new Map(names.map((name) => [name, createSimulatedAdapter(name, profile, options)]));
}

/** Today's business day, triggered (all expected units enqueued as the night would). */
export async function triggerToday(deps: Deps): Promise<string> {
  const runDate = runDateOf(deps.clock(), deps.config.timezone);
  const result = await runTrigger(deps, { runDate, triggeredBy: 'test', scheduled: false });
  if (result.status !== 'triggered') throw new Error(`trigger did not run: ${result.status}`);
  return runDate;
}

export interface RecordedCall {
  provider: ProviderName;
  prompt: string;
  /** The unit's prompt id, when the worker said which unit the call is for. */
  promptId: string | undefined;
  startedAt: number;
  endedAt: number;
  outcome: string;
}

/** Wraps an adapter and records every call's start, end and outcome (success or error class). */
export function recording(adapter: ProviderAdapter, calls: RecordedCall[]): ProviderAdapter {
  return {
    name: adapter.name,
    model: adapter.model,
    simulated: adapter.simulated,
    async ask(prompt: string, options?: AskOptions): Promise<ProviderAnswer> {
      const startedAt = Date.now();
      const record = (outcome: string) =>
        calls.push({
          provider: adapter.name,
          prompt,
          promptId: options?.unit?.promptId,
          startedAt,
          endedAt: Date.now(),
          outcome,
        });
      try {
        const answer = await adapter.ask(prompt, options);
        record('success');
        return answer;
      } catch (error) {
        record((error as { errorClass?: string }).errorClass ?? 'unknown');
        throw error;
      }
    },
  };
}

/** Units with more than one success response (must be none). */
export const duplicateSuccesses = (db: Db) =>
  queryRows<{ prompt_id: string; provider: string; n: number }>(
    db,
    sql`select prompt_id, provider, count(*)::int as n from prompt_provider_responses
        where status = 'success' group by run_date, prompt_id, provider having count(*) > 1`,
  );

/** Jobs whose counters disagree with their tasks, or that are not closed once nothing is live. */
export const inexactJobs = (db: Db) =>
  queryRows<{ id: string; status: string }>(
    db,
    sql`select j.id, j.status, j.completed_tasks, j.failed_tasks, j.total_tasks
        from batch_jobs j
        where j.completed_tasks <> (select count(*) from batch_tasks t where t.batch_job_id = j.id and t.status = 'completed')
           or j.failed_tasks <> (select count(*) from batch_tasks t where t.batch_job_id = j.id and t.status = 'failed')
           or (j.status <> 'completed'
               and not exists (select 1 from batch_tasks t
                               where t.batch_job_id = j.id and t.status in ('pending', 'processing')))`,
  );

/**
 * When the claims planned each call of a provider to start (batch_tasks.started_at, on the
 * database clock), in ms, sorted; tasks that were never claimed are left out. Each task holds its
 * last claim's plan only: for nights without retries.
 */
export async function plannedStarts(db: Db, provider: string): Promise<number[]> {
  const rows = await queryRows<{ ms: number }>(
    db,
    sql`select (extract(epoch from started_at) * 1000)::float8 as ms from batch_tasks
        where provider = ${provider} and attempts > 0 and started_at is not null order by started_at`,
  );
  return rows.map((r) => Number(r.ms));
}

/** Smallest gap between two consecutive times (Infinity for fewer than two). */
export const smallestGap = (times: number[]) =>
  times.slice(1).reduce((min, t, i) => Math.min(min, t - (times[i] as number)), Number.POSITIVE_INFINITY);

/** Polls until `check` is true (or throws after `timeoutMs`): for waiting on other processes. */
export async function waitUntil(
  check: () => Promise<boolean>,
  timeoutMs = 60_000,
  everyMs = 50,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, everyMs));
  }
}
