import type { NightCost } from '../coverage/cost-math.ts';
import { count, plural } from './format.ts';

/** Pure: a night's calls, tokens and cost as words, for Slack (mrkdwn) and the terminal alike. */

const usdFormat = new Intl.NumberFormat('en-US', {
  style: 'currency',
  currency: 'USD',
  minimumFractionDigits: 2,
  maximumFractionDigits: 2,
});

/** "$1,234.50"; a cost under a cent but above zero is "<$0.01", never a misleading "$0.00". */
export const formatUsd = (usd: number) => (usd > 0 && usd < 0.005 ? '<$0.01' : usdFormat.format(usd));

/** "950", "12.3k", "4.56M" tokens. */
export function formatTokens(n: number): string {
  if (n < 1_000) return count(n);
  if (n < 1_000_000) return `${trim(n / 1_000)}k`;
  return `${trim(n / 1_000_000)}M`;
}
const trim = (value: number) =>
  value >= 100 ? value.toFixed(0) : value.toPrecision(3).replace(/\.?0+$/, '');

/** "1,234 calls · 45.6k tokens in / 120k out · $1.23" */
export const usageText = (u: { calls: number; tokensIn: number; tokensOut: number; usd: number }) =>
  `${plural(u.calls, 'call')} · ${formatTokens(u.tokensIn)} tokens in / ${formatTokens(u.tokensOut)} out · ${formatUsd(u.usd)}`;

/** The providers that made calls, by name: the order of the report's Providers section. */
const calling = (cost: NightCost) =>
  cost.providers.filter((p) => p.calls > 0).sort((a, b) => a.provider.localeCompare(b.provider));

/** The night's total, then one line per provider that made calls; nothing when none did. */
export function costLines(cost: NightCost | undefined): string[] {
  if (!cost || cost.calls === 0) return [];
  const providers = calling(cost).map((p) => `${p.provider}: ${usageText(p)}`);
  return [`💵 *Night's cost*: ${usageText(cost)}`, ...providers.map((line) => `• ${line}`)];
}

/** The same for a terminal, indented under a "Cost" heading. */
export function costTextLines(cost: NightCost | undefined): string[] {
  if (!cost || cost.calls === 0) return [];
  return [
    `Cost: ${usageText(cost)}`,
    ...calling(cost).map((p) => `  ${p.provider.padEnd(11)} ${usageText(p)}`),
  ];
}

/** "estimated cost ≈ $0.42" (or "<$0.01"): what a repair or rerun would spend. */
export const estimateText = (usd: number) => `estimated cost ≈ ${formatUsd(usd)}`;
