import { Gauge, type Registry } from 'prom-client';
import type { Deps } from '../context.ts';
import { measureNightPace, type NightPace } from '../scheduler/night-pace.ts';
import { etaSeconds } from '../scheduler/night-projection.ts';
import { runDateOf } from '../time/business-day.ts';

/**
 * The night watch's figures in /metrics, read when scraped (prom-client's collect): each
 * provider's failure share over the early-warning window, and the seconds to the night's
 * projected finish (0 when nothing is live; absent without a pace), so an outside alert can use
 * the numbers the warnings use. A read that fails leaves them out of this scrape.
 */
export function nightWatchGauges(
  deps: Pick<Deps, 'db' | 'config' | 'clock' | 'logger'>,
  registers: Registry[],
): void {
  type Reading = NightPace & { runDate: string; now: Date };
  let pending: Promise<Reading | undefined> | undefined;
  const measure = async (): Promise<Reading | undefined> => {
    const now = deps.clock();
    const runDate = runDateOf(now, deps.config.timezone);
    try {
      return { runDate, now, ...(await measureNightPace(deps, { runDate, now })) };
    } catch (error) {
      deps.logger.warn({ err: error }, 'metrics: night watch gauges not refreshed');
      return undefined;
    }
  };
  // Both gauges collect from one reading per scrape; the next scrape reads again.
  const read = () => {
    if (!pending) {
      pending = measure();
      void pending.then(() => setImmediate(() => (pending = undefined)));
    }
    return pending;
  };
  new Gauge({
    name: 'sched_provider_failure_rate',
    help: 'Final failures and retries / calls of the provider over the early-warning window (EARLY_WARNING_WINDOW_MINUTES, _CALLS) of the run_date',
    labelNames: ['run_date', 'provider'],
    registers,
    async collect() {
      this.reset();
      const pace = await read();
      for (const p of pace?.failureRates ?? [])
        this.set({ run_date: pace?.runDate ?? '', provider: p.provider }, p.rate);
    },
  });
  new Gauge({
    name: 'sched_night_eta_seconds',
    help: "Seconds until the run_date's projected finish at each provider's recent pace and rpm limit (0 when nothing is live)",
    labelNames: ['run_date'],
    registers,
    async collect() {
      this.reset();
      const pace = await read();
      const eta = pace && etaSeconds(pace.projection, pace.now);
      if (pace && eta !== undefined) this.set({ run_date: pace.runDate }, eta);
    },
  });
}
