import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';
import type { Deps } from '../context.ts';
import { enabledProviderUnits } from '../coverage/coverage-query.ts';
import { actionableUnits, snoozedUnits } from '../coverage/snoozed-units.ts';
import { type CountRow, readNightCounts } from '../queue/task-counts.ts';
import { measureCoverage } from '../scheduler/postcheck.ts';
import { latestStepRuns } from '../store/scheduler-runs.ts';
import { runDateOf } from '../time/business-day.ts';
import { nightWatchGauges } from './night-watch.ts';

/**
 * Prometheus metrics (prom-client) on a registry of their own, so tests and several app
 * instances in one process never share counters. Database gauges are computed when scraped,
 * from one aggregate statement over today's run_date; provider and step metrics are fed as
 * things happen (the worker's onResult callback, the scheduler and the cron endpoints).
 */

/** One provider call as the worker reports it. */
export interface ProviderCallObservation {
  provider: string;
  /** Absent when the call never reached the provider (for example a pause). */
  latencyMs?: number | undefined;
  /** undefined or null for a success. */
  errorClass?: string | null | undefined;
}

export interface Metrics {
  readonly registry: Registry;
  observeProviderCall(call: ProviderCallObservation): void;
  observeStep(step: string, seconds: number, outcome: 'ok' | 'error'): void;
  /** Runs `work` and records its duration as a scheduler step, success or failure. */
  timeStep<T>(step: string, work: () => Promise<T>): Promise<T>;
  /** Refreshes the database gauges, then renders the text exposition format. */
  render(): Promise<{ contentType: string; body: string }>;
}

interface TaskRow {
  provider: string;
  status: string;
  n: number;
}

/** Pure: the counts summed over orgs, one row per (provider, status). */
function tasksByProviderStatus(rows: readonly CountRow[]): TaskRow[] {
  const sums = new Map<string, TaskRow>();
  for (const r of rows) {
    const key = `${r.provider}/${r.status}`;
    const row = sums.get(key) ?? { provider: r.provider, status: r.status, n: 0 };
    row.n += r.tasks;
    sums.set(key, row);
  }
  return [...sums.values()];
}

export function createMetrics(deps: Pick<Deps, 'db' | 'config' | 'clock' | 'logger'>): Metrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'sched_' });
  const registers = [registry];
  const gauge = (name: string, help: string, labelNames: string[]) =>
    new Gauge({ name, help, labelNames, registers });
  const counter = (name: string, help: string, labelNames: string[]) =>
    new Counter({ name, help, labelNames, registers });
  const histogram = (name: string, help: string, labelNames: string[], buckets: number[]) =>
    new Histogram({ name, help, labelNames, buckets, registers });

  const byProvider = ['run_date', 'provider'];
  const coverage = gauge(
    'sched_unit_coverage_ratio',
    'Succeeded / expected units of the run_date for a provider (1 when nothing is expected)',
    byProvider,
  );
  const expected = gauge(
    'sched_units_expected',
    'Expected units (active in-quota prompt x entitled provider) of the run_date',
    byProvider,
  );
  const succeeded = gauge(
    'sched_units_succeeded',
    'Expected units with a successful response on the run_date',
    byProvider,
  );
  const tasks = gauge('sched_tasks', 'Tasks of the run_date by provider and status', [
    ...byProvider,
    'status',
  ]);
  const calls = gauge(
    'sched_provider_calls',
    'Provider calls (stored responses, successes and errors) of the run_date',
    byProvider,
  );
  const tokens = gauge('sched_provider_tokens', 'Tokens of the run_date by direction (in or out)', [
    ...byProvider,
    'direction',
  ]);
  const cost = gauge(
    'sched_provider_cost_usd',
    'Cost in USD of the run_date at <PROVIDER>_PRICE_IN / _PRICE_OUT per million tokens',
    byProvider,
  );
  // The night's figures as the postcheck reports them (the seed's, plus what snoozes hold), so
  // Grafana or Alertmanager can alert on the same numbers the report shows.
  const byNight = ['run_date'];
  const promptCoverage = gauge(
    'sched_prompt_coverage_ratio',
    'Prompts with at least one successful provider / expected prompts of the run_date (the seed figure)',
    byNight,
  );
  const orgCoverage = gauge(
    'sched_org_coverage_ratio',
    'Orgs with a completed job / expected orgs of the run_date',
    byNight,
  );
  const healthy = gauge(
    'sched_night_healthy',
    '1 when the run_date is HEALTHY, 0 when it needs attention',
    byNight,
  );
  const actionable = gauge(
    'sched_units_missing_actionable',
    'Missing units of the run_date that no snooze holds (what Repair and paging act on)',
    byNight,
  );
  const snoozed = gauge('sched_units_snoozed', 'Missing units of the run_date that a snooze holds', byNight);
  const nightUsd = gauge('sched_night_cost_usd', 'Cost in USD of the run_date, every provider', byNight);
  const lastDuration = gauge(
    'sched_scheduler_step_last_duration_seconds',
    'Duration of the latest finished run of each scheduler step, as recorded by any instance',
    ['step', 'status'],
  );
  const lastFinished = gauge(
    'sched_scheduler_step_last_finished_timestamp_seconds',
    'When the latest run of each scheduler step finished, by its status (alert when it gets old)',
    ['step', 'status'],
  );
  const scrapeErrors = counter(
    'sched_metrics_database_errors_total',
    'Scrapes whose database gauges could not be refreshed',
    [],
  );
  const latency = histogram(
    'sched_provider_request_duration_seconds',
    'Provider call latency by outcome (ok or the error class)',
    ['provider', 'outcome'],
    [0.1, 0.25, 0.5, 1, 2, 5, 10, 20, 30, 60, 120],
  );
  const errors = counter('sched_provider_errors_total', 'Failed provider calls by error class', [
    'provider',
    'error_class',
  ]);
  const rateLimited = counter('sched_provider_rate_limited_total', 'Provider answers of 429 (rate_limited)', [
    'provider',
  ]);
  nightWatchGauges(deps, registers);
  const steps = histogram(
    'sched_scheduler_step_duration_seconds',
    'Duration of scheduler steps (trigger, reconciler, postcheck, repair, ...)',
    ['step', 'outcome'],
    [0.01, 0.05, 0.1, 0.5, 1, 5, 15, 60, 300, 900],
  );

  async function refreshDatabaseGauges(): Promise<void> {
    const runDate = runDateOf(deps.clock(), deps.config.timezone);
    // Two days back is enough to find the latest of every step, and keeps the scan on the index.
    const since = new Date(deps.clock().getTime() - 2 * 86_400_000);
    const [units, taskRows, stepRows, night] = await Promise.all([
      enabledProviderUnits(deps.db, runDate),
      // From the task counts: a few rows per (org, provider), not the night's tasks.
      readNightCounts(deps.db, { runDate, since: deps.clock(), until: deps.clock() }).then((counts) =>
        tasksByProviderStatus(counts.rows),
      ),
      latestStepRuns(deps.db, since),
      // The rollup-based coverage statement: its cost follows the night's misses, not the history.
      measureCoverage(deps, { runDate }),
    ]);
    // Reset first: yesterday's run_date series disappear instead of lingering forever.
    for (const gauge of [
      coverage,
      expected,
      succeeded,
      tasks,
      calls,
      tokens,
      cost,
      lastDuration,
      lastFinished,
      promptCoverage,
      orgCoverage,
      healthy,
      actionable,
      snoozed,
      nightUsd,
    ])
      gauge.reset();
    const figures = { run_date: runDate };
    const ratioOf = (r: { numerator: number; denominator: number }) =>
      r.denominator === 0 ? 1 : r.numerator / r.denominator;
    promptCoverage.set(figures, ratioOf(night.ratios.prompts));
    orgCoverage.set(figures, ratioOf(night.ratios.orgs));
    healthy.set(figures, night.summary.overallHealth === 'HEALTHY' ? 1 : 0);
    actionable.set(figures, actionableUnits(night));
    snoozed.set(figures, snoozedUnits(night));
    nightUsd.set(figures, night.cost?.usd ?? 0);
    for (const row of night.cost?.providers ?? []) {
      const labels = { run_date: runDate, provider: row.provider };
      calls.set(labels, row.calls);
      tokens.set({ ...labels, direction: 'in' }, row.tokensIn);
      tokens.set({ ...labels, direction: 'out' }, row.tokensOut);
      cost.set(labels, row.usd);
    }
    for (const row of units) {
      const labels = { run_date: runDate, provider: row.provider };
      expected.set(labels, row.expected);
      succeeded.set(labels, row.succeeded);
      coverage.set(labels, row.expected === 0 ? 1 : row.succeeded / row.expected);
    }
    for (const row of taskRows)
      tasks.set({ run_date: runDate, provider: row.provider, status: row.status }, row.n);
    for (const row of stepRows) {
      const labels = { step: row.function_name, status: row.status };
      lastDuration.set(labels, Number(row.seconds));
      lastFinished.set(labels, Number(row.finished));
    }
  }

  const observeStep = (step: string, seconds: number, outcome: 'ok' | 'error') =>
    steps.observe({ step, outcome }, seconds);

  return {
    registry,
    observeProviderCall(call) {
      const outcome = call.errorClass ?? 'ok';
      if (call.latencyMs !== undefined)
        latency.observe({ provider: call.provider, outcome }, call.latencyMs / 1000);
      if (call.errorClass) errors.inc({ provider: call.provider, error_class: call.errorClass });
      if (call.errorClass === 'rate_limited') rateLimited.inc({ provider: call.provider });
    },
    observeStep,
    async timeStep(step, work) {
      // A duration, not business time: the monotonic clock is right here, not deps.clock.
      const started = performance.now();
      try {
        const result = await work();
        observeStep(step, (performance.now() - started) / 1000, 'ok');
        return result;
      } catch (error) {
        observeStep(step, (performance.now() - started) / 1000, 'error');
        throw error;
      }
    },
    async render() {
      try {
        await refreshDatabaseGauges();
      } catch (error) {
        // The process metrics are still worth serving when the database is down; /healthz says why.
        scrapeErrors.inc();
        deps.logger.warn({ err: error }, 'metrics: database gauges not refreshed');
      }
      return { contentType: registry.contentType, body: await registry.metrics() };
    },
  };
}
