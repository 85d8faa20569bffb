import { Blocks } from 'slack-block-builder';
import type { CoverageReport } from '../coverage/types.ts';
import { count, inlineText } from './format.ts';

const MAX_SHOWN = 5;

/** Over-quota orgs are reported, not expected: one context line, the first few named. */
export function overQuotaBlock(report: CoverageReport) {
  if (report.overQuota.length === 0) return undefined;
  const shown = report.overQuota
    .slice(0, MAX_SHOWN)
    .map(
      (o) => `*${inlineText(o.name, 80)}* ${count(o.overQuotaPrompts)} past its quota of ${count(o.quota)}`,
    );
  const more = report.overQuota.length - shown.length;
  if (more > 0) shown.push(`+${count(more)} more`);
  return Blocks.Context().elements(`Over quota (reported, not expected): ${shown.join(' · ')}`);
}
