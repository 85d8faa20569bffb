import type { AuditResult, AuditRow } from './types.ts';

/** Pure: the audit as plain text for a terminal (the CLI) or a code block (Slack). */
export function formatAudit(result: AuditResult): string {
  const lines: string[] = [];
  const nights =
    result.runDates.length === 1
      ? `the night of ${result.runDates[0]}`
      : `${result.runDates.length} nights (${result.runDates.at(-1)} to ${result.runDates[0]})`;
  for (const fix of result.fixed) lines.push(`fixed: ${fix.count} ${fix.what}`);
  if (result.ok) {
    lines.push(`OK: every invariant holds for ${nights}.`);
  } else {
    const n = result.violations.length;
    lines.push(`${n} violation${n === 1 ? '' : 's'} in ${nights}:`);
    for (const v of result.violations) {
      lines.push('', `✗ [${v.check}] ${v.message}`);
      for (const row of v.rows) lines.push(`    ${formatRow(row)}`);
      if (v.count > v.rows.length) lines.push(`    … and ${v.count - v.rows.length} more`);
      lines.push(`  → ${v.advice}${v.fixable ? ' (fixable with --fix)' : ''}`);
    }
  }
  for (const note of result.notes) lines.push('', `note: ${note.message}`);
  return `${lines.join('\n')}\n`;
}

export function formatRow(row: AuditRow): string {
  return Object.entries(row)
    .filter(([, value]) => value !== null)
    .map(([key, value]) => `${key}=${value}`)
    .join(' ');
}
