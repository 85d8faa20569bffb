import type { CoverageReport, Ratio } from '../coverage/types.ts';

/** Pure: a coverage report as plain text for people at a terminal. */

const fraction = (r: Ratio) => `${r.percent}% (${r.numerator}/${r.denominator})`;

export function formatCoverageReport(report: CoverageReport, options: { maxPrompts?: number } = {}): string {
  const lines: string[] = [];
  const { ratios } = report;
  lines.push(`Run date ${report.runDate} (${report.timezone}): ${report.summary.overallHealth}`);
  lines.push(`  prompts covered        ${fraction(ratios.prompts)}   (at least one provider answered)`);
  lines.push(`  prompts fully covered  ${fraction(ratios.fullPrompts)}   (every entitled provider answered)`);
  lines.push(`  units                  ${fraction(ratios.units)}`);
  lines.push(`  orgs completed         ${fraction(ratios.orgs)}`);
  const t = report.tasks;
  const live = t.pending + t.processing;
  if (live > 0 || t.completed + t.failed > 0) {
    lines.push(
      `  tasks                  ${t.completed} completed, ${t.failed} failed, ${t.processing} running, ${t.pending} pending`,
    );
  }
  lines.push('', 'Providers:');
  for (const p of report.providers) {
    if (!p.enabled) {
      lines.push(`  ${p.provider.padEnd(11)} disabled (no API key)`);
      continue;
    }
    const causes = Object.entries(p.failuresByReason)
      .map(([reason, count]) => `${count} ${reason}`)
      .join(', ');
    const paused = p.pauseReason ? `  PAUSED: ${p.pauseReason}` : '';
    lines.push(
      `  ${p.provider.padEnd(11)} ${p.succeededUnits}/${p.expectedUnits}${p.missingUnits ? `, ${p.missingUnits} missing: ${causes}` : ''}${paused}`,
    );
  }
  if (report.incompletePrompts.length > 0) {
    const limit = options.maxPrompts ?? Number.POSITIVE_INFINITY;
    lines.push('', `Missing prompts (${report.incompletePrompts.length} not fully covered):`);
    let currentOrg = '';
    report.incompletePrompts.slice(0, limit).forEach((prompt) => {
      if (prompt.org_id !== currentOrg) {
        currentOrg = prompt.org_id;
        lines.push(`  ${prompt.org_name}`);
      }
      const providers = prompt.missingProviders.map((m) => `${m.provider}: ${m.reason}`).join(', ');
      lines.push(`    - ${prompt.text}  [${providers}]`);
    });
    if (report.incompletePrompts.length > limit) {
      lines.push(
        `  +${report.incompletePrompts.length - limit} more (sched status --json for the full list)`,
      );
    }
  }
  if (report.overQuota.length > 0) {
    lines.push('', 'Over quota (reported, not expected):');
    for (const o of report.overQuota) {
      lines.push(
        `  ${o.name}: ${o.overQuotaPrompts} of ${o.activePrompts} active prompts past the quota of ${o.quota}`,
      );
    }
  }
  return `${lines.join('\n')}\n`;
}
