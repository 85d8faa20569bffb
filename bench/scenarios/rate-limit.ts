import { createSimulatedAdapter } from '../../src/providers/simulated.ts';
import {
  PROVIDER_NAMES,
  type ProviderAdapter,
  ProviderError,
  type ProviderName,
} from '../../src/providers/types.ts';
import { runTrigger } from '../../src/scheduler/trigger.ts';
import { startWorker } from '../../src/scheduler/worker.ts';
import type { BenchContext, Scenario } from '../context.ts';
import {
  type BenchDb,
  benchEnv,
  daysBefore,
  openPgliteBench,
  openPostgresBench,
  seedUnits,
} from '../databases.ts';
import { fmt, largestInWindow, median } from '../measure.ts';

/**
 * A night against providers that enforce their requests per minute like a real API (the
 * simulated stand-ins answer 429 with Retry-After past `rpm` in any 60 s), every provider at the
 * same rpm, in `providers.rpm` and in the stand-in alike. The bound is the shortest night those
 * limits allow: tasks per provider / rpm. Measured from the workers' start to their drain, with
 * every call counted here, on the calling side: 429s, and the most calls that started within
 * any one second (against rpm / 60, the even pace).
 */

const GOAL = 1.05;

interface CallLog {
  starts: number[];
  limited: number;
}

/** The adapter, with each call's start and each 429 written down. */
function counted(adapter: ProviderAdapter, log: CallLog): ProviderAdapter {
  return {
    name: adapter.name,
    model: adapter.model,
    simulated: adapter.simulated,
    async ask(prompt, options) {
      log.starts.push(performance.now());
      try {
        return await adapter.ask(prompt, options);
      } catch (error) {
        if (error instanceof ProviderError && error.errorClass === 'rate_limited') log.limited += 1;
        throw error;
      }
    },
  };
}

interface NightFigures {
  ms: number;
  limited: number;
  /** Most calls of one provider that started within one second. */
  burst: number;
}

async function night(ctx: BenchContext, backend: BenchDb['kind']): Promise<NightFigures> {
  const { tasks, rpm, concurrency } = ctx.sizes.rateLimit;
  const env = benchEnv(
    Object.fromEntries(PROVIDER_NAMES.map((p) => [`${p.toUpperCase()}_RPM`, String(rpm)])),
  );
  // A database per night: the last night's calls must not count against this one's minute.
  const bench =
    backend === 'postgres' ? await openPostgresBench('ratelimit', env) : await openPgliteBench(env);
  try {
    await seedUnits(bench.db, tasks);
    const runDate = daysBefore(bench.config, 1);
    await runTrigger(bench.deps, { runDate, triggeredBy: 'bench', scheduled: false });
    const logs = new Map<ProviderName, CallLog>(PROVIDER_NAMES.map((p) => [p, { starts: [], limited: 0 }]));
    const adapters = new Map(
      PROVIDER_NAMES.map((name) => [
        name,
        counted(createSimulatedAdapter(name, 'ideal', { rpm }), logs.get(name) as CallLog),
      ]),
    );
    const start = performance.now();
    const worker = startWorker(bench.deps, { adapters, concurrency, drain: true });
    await worker.done;
    const ms = performance.now() - start;
    const all = [...logs.values()];
    return {
      ms,
      limited: all.reduce((n, log) => n + log.limited, 0),
      burst: Math.max(...all.map((log) => largestInWindow(log.starts))),
    };
  } finally {
    await bench.close();
  }
}

async function onBackend(ctx: BenchContext, backend: BenchDb['kind']): Promise<void> {
  const { tasks, rpm, runs } = ctx.sizes.rateLimit;
  const nights: NightFigures[] = [];
  for (let round = 0; round < runs; round++) {
    ctx.log(`rate-limit (${backend}): night ${round + 1} of ${runs}`);
    nights.push(await night(ctx, backend));
  }
  const boundMs = ((tasks / PROVIDER_NAMES.length) * 60_000) / rpm;
  const ms = median(nights.map((n) => n.ms));
  const limited = Math.max(...nights.map((n) => n.limited));
  const burst = Math.max(...nights.map((n) => n.burst));
  const ratio = ms / boundMs;
  ctx.emit({
    scenario: 'rate-limit',
    backend,
    case: `${fmt.count(tasks)} tasks, 4 providers at ${rpm} rpm, c=${ctx.sizes.rateLimit.concurrency}`,
    product: fmt.duration(ms),
    productValue: ms,
    reference: `bound ${fmt.duration(boundMs)} (tasks / rpm)`,
    referenceValue: boundMs,
    ratio,
    ratioMeaning:
      'rate-limit: wall time of the night / tasks per provider / rpm; below 1 means the limit was exceeded in bursts (lower is better, down to 1)',
    goal: `<= ${GOAL}x, 0 429s`,
    met: ratio <= GOAL && limited === 0,
    note:
      `429s: ${limited}; most calls in 1 s: ${burst} per provider (even pace ${(rpm / 60).toFixed(0)}/s); ` +
      `median of ${nights.length}`,
    extra: { boundMs, rateLimited: limited, mostCallsInOneSecond: burst, evenPacePerSecond: rpm / 60 },
    samples: { product: nights.map((n) => n.ms) },
  });
}

export const rateLimit: Scenario = {
  name: 'rate-limit',
  summary:
    'a night against rpm-enforcing simulated providers: wall time / bound, 429s, calls in any one second',
  async run(ctx) {
    await onBackend(ctx, 'postgres');
    await onBackend(ctx, 'pglite');
  },
};
