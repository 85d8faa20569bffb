import { Blocks } from 'slack-block-builder';
import type { CoverageReport } from '../coverage/types.ts';
import { count, plural } from './format.ts';

/**
 * The runbook's SQL counts every active prompt; the bot counts expected ones. One line says where
 * the difference went, so the two numbers reconcile: "275 active prompts: 180 expected, 60 in orgs
 * not active or trialing, 28 over quota, 7 in orgs without an entitled provider". Groups with no
 * prompt are left out; a report recorded before the groups existed has no line.
 */
export function activePromptsLine(report: CoverageReport): string | undefined {
  const groups = report.activePrompts;
  if (!groups) return undefined;
  if (groups.total === 0) return undefined;
  const head = plural(groups.total, 'active prompt');
  if (groups.expected === groups.total) return `${head}, all expected`;
  const parts = [
    `${count(groups.expected)} expected`,
    groups.orgNotEligible > 0 ? `${count(groups.orgNotEligible)} in orgs not active or trialing` : '',
    groups.overQuota > 0 ? `${count(groups.overQuota)} over quota` : '',
    groups.noEntitledProvider > 0
      ? `${count(groups.noEntitledProvider)} in orgs without an entitled provider`
      : '',
  ].filter(Boolean);
  return `${head}: ${parts.join(', ')}`;
}

export function activePromptsBlock(report: CoverageReport) {
  const line = activePromptsLine(report);
  return line ? Blocks.Context().elements(line) : undefined;
}
