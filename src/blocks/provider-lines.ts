import { ratio } from '../coverage/coverage-math.ts';
import { reasonWords } from '../coverage/reason-words.ts';
import type { CoverageReport, ProviderCoverage } from '../coverage/types.ts';
import { ERROR_CLASSES } from '../providers/types.ts';
import { count, formatRatio, inlineText, slackDate } from './format.ts';
import type { ProviderCheck } from './types.ts';

/** One mrkdwn line per provider: coverage, failure causes, pause or disabled state. */

const FAILURE_REASONS: ReadonlySet<string> = new Set([...ERROR_CLASSES, 'failed']);

/** "41 failed, 39 rate limited, 2 timed out" (or "missing" when some units simply have not run). */
export function failureCauses(byReason: Record<string, number>): string {
  const entries = Object.entries(byReason)
    .filter(([, n]) => n > 0)
    .sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]));
  const total = entries.reduce((sum, [, n]) => sum + n, 0);
  if (total === 0) return '';
  const word = entries.every(([reason]) => FAILURE_REASONS.has(reason)) ? 'failed' : 'missing';
  return [
    `${count(total)} ${word}`,
    ...entries.map(([reason, n]) => `${count(n)} ${reasonWords(reason)}`),
  ].join(', ');
}

/** A pause that ended before the report was measured is history, not state. */
const isPaused = (p: ProviderCoverage, at: Date) =>
  p.pausedUntil !== null ? new Date(p.pausedUntil) > at : p.pauseReason !== null;

export function providerLine(p: ProviderCoverage, zone: string, at: Date): string {
  if (!p.enabled) return `• *${p.provider}*: disabled (no API key or turned off)`;
  const parts = [`• *${p.provider}*: ${formatRatio(ratio(p.succeededUnits, p.expectedUnits))}`];
  const causes = failureCauses(p.failuresByReason);
  if (causes) parts.push(causes);
  if (isPaused(p, at)) {
    const until = p.pausedUntil ? ` until ${slackDate(new Date(p.pausedUntil), zone)}` : '';
    parts.push(`⏸ paused${until}${p.pauseReason ? `: ${inlineText(p.pauseReason, 200)}` : ''}`);
  }
  return parts.join(' · ');
}

export function providerLines(report: CoverageReport): string[] {
  const at = new Date(report.generatedAt);
  return report.providers.map((p) => providerLine(p, report.timezone, at));
}

/**
 * Providers that need a look: missing units or paused. A disabled provider is a choice (no key),
 * not a failure: the full provider list shows it.
 */
export function failingProviderLines(report: CoverageReport): string[] {
  const at = new Date(report.generatedAt);
  return report.providers
    .filter((p) => p.enabled && (p.missingUnits > 0 || isPaused(p, at)))
    .map((p) => providerLine(p, report.timezone, at));
}

/** "✅ openai: answered in 230 ms" / "❌ perplexity: 401 invalid API key" */
export function providerCheckLines(checks: ProviderCheck[]): string[] {
  return checks.map(
    (c) => `${c.ok ? '✅' : '❌'} *${inlineText(String(c.provider), 40)}*: ${inlineText(c.detail, 300)}`,
  );
}
