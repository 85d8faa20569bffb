import type { ProviderName } from '../providers/types.ts';

/**
 * Pure: what a night's provider calls cost, and what a repair or rerun would cost. Prices are USD
 * per million tokens (`<PROVIDER>_PRICE_IN`, `_PRICE_OUT`); usage comes from night-cost.ts.
 */

export interface TokenPrice {
  /** USD per million input tokens. */
  in: number;
  /** USD per million output tokens. */
  out: number;
}

export type Prices = Record<ProviderName, TokenPrice>;

/** Responses of one provider on one run_date (successes and errors: both were calls). */
export interface ProviderUsage {
  provider: ProviderName;
  calls: number;
  tokensIn: number;
  tokensOut: number;
}

export interface ProviderCost extends ProviderUsage {
  usd: number;
  /** The price the usd was computed at, kept so an estimate from this night needs nothing else. */
  price: TokenPrice;
}

export interface NightCost {
  /** Every priced provider, with zero calls when it made none. */
  providers: ProviderCost[];
  calls: number;
  tokensIn: number;
  tokensOut: number;
  usd: number;
}

/**
 * Tokens per call assumed for a provider that made no call this night: a short prompt and an
 * answer of a few paragraphs. Documented in README (Configuration).
 */
export const DEFAULT_TOKENS_PER_CALL = { in: 150, out: 500 } as const;

export const usdOf = (tokensIn: number, tokensOut: number, price: TokenPrice) =>
  (tokensIn * price.in + tokensOut * price.out) / 1_000_000;

export function priceNight(usage: ProviderUsage[], prices: Prices): NightCost {
  const providers = (Object.keys(prices) as ProviderName[]).map((provider): ProviderCost => {
    const used = usage.find((u) => u.provider === provider);
    const row = used ?? { provider, calls: 0, tokensIn: 0, tokensOut: 0 };
    return { ...row, usd: usdOf(row.tokensIn, row.tokensOut, prices[provider]), price: prices[provider] };
  });
  const sum = (pick: (p: ProviderCost) => number) => providers.reduce((total, p) => total + pick(p), 0);
  return {
    providers,
    calls: sum((p) => p.calls),
    tokensIn: sum((p) => p.tokensIn),
    tokensOut: sum((p) => p.tokensOut),
    usd: sum((p) => p.usd),
  };
}

/** One call of the provider at the night's average tokens per call (the default without calls). */
export function usdPerCall(cost: ProviderCost): number {
  const perCall =
    cost.calls > 0
      ? { in: cost.tokensIn / cost.calls, out: cost.tokensOut / cost.calls }
      : DEFAULT_TOKENS_PER_CALL;
  return usdOf(perCall.in, perCall.out, cost.price);
}

/**
 * Units to run per provider x the night's average tokens per call of that provider, priced.
 * A provider the night has no price for (an unknown name) counts nothing.
 */
export function estimateUsd(byProvider: Record<string, number>, night: NightCost): number {
  return Object.entries(byProvider).reduce((total, [provider, units]) => {
    const cost = night.providers.find((p) => p.provider === provider);
    return total + (cost ? units * usdPerCall(cost) : 0);
  }, 0);
}
