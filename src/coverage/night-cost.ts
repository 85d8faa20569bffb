import { sql } from 'drizzle-orm';
import { type Db, queryRows } from '../db/client.ts';
import { estimateUsd, type NightCost, type Prices, type ProviderUsage, priceNight } from './cost-math.ts';

/**
 * The one place that counts calls and tokens: per run_date and provider, from
 * prompt_provider_responses (every stored response was a call, a failed one too). An index-only
 * scan of ppr_run_date_cost_idx (run_date, provider, tokens_in, tokens_out).
 */

export interface DatedUsage extends ProviderUsage {
  runDate: string;
}

export async function usageByNight(db: Db, runDates: readonly string[]): Promise<DatedUsage[]> {
  if (runDates.length === 0) return [];
  const rows = await queryRows<{
    run_date: string;
    provider: ProviderUsage['provider'];
    calls: number;
    tokens_in: number | string;
    tokens_out: number | string;
  }>(
    db,
    sql`select run_date::text as run_date, provider, count(*)::int as calls,
               coalesce(sum(tokens_in), 0)::bigint as tokens_in, coalesce(sum(tokens_out), 0)::bigint as tokens_out
        from prompt_provider_responses
        -- Always true (model is NOT NULL): stated so the partial ppr_run_date_cost_idx serves this.
        where run_date = any(${`{${runDates.join(',')}}`}::date[]) and model is not null
        group by run_date, provider
        order by run_date desc, provider`,
  );
  return rows.map((r) => ({
    runDate: r.run_date,
    provider: r.provider,
    calls: r.calls,
    // bigint sums: strings on node-postgres; a night's tokens stay far below 2^53.
    tokensIn: Number(r.tokens_in),
    tokensOut: Number(r.tokens_out),
  }));
}

/** The night's calls, tokens and cost per provider. */
export async function nightCost(db: Db, params: { runDate: string; prices: Prices }): Promise<NightCost> {
  return priceNight(await usageByNight(db, [params.runDate]), params.prices);
}

/** What running `byProvider` units more on the night would cost, at its average tokens per call. */
export async function estimateRunUsd(
  db: Db,
  params: { runDate: string; byProvider: Record<string, number>; prices: Prices },
): Promise<number> {
  const { runDate, byProvider, prices } = params;
  if (Object.values(byProvider).every((n) => n === 0)) return 0;
  return estimateUsd(byProvider, await nightCost(db, { runDate, prices }));
}

/** Several nights at once (history): one statement, a NightCost per run_date asked for. */
export async function nightCosts(
  db: Db,
  params: { runDates: readonly string[]; prices: Prices },
): Promise<Map<string, NightCost>> {
  const { runDates, prices } = params;
  const usage = await usageByNight(db, runDates);
  return new Map(
    runDates.map((d) => [
      d,
      priceNight(
        usage.filter((u) => u.runDate === d),
        prices,
      ),
    ]),
  );
}

/** The configured prices of every provider (config.providers.<name>.price). */
export const pricesOf = (providers: Record<keyof Prices, { price: Prices[keyof Prices] }>): Prices => ({
  openai: providers.openai.price,
  anthropic: providers.anthropic.price,
  gemini: providers.gemini.price,
  perplexity: providers.perplexity.price,
});
