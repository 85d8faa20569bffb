import { type BlockBuilder, Blocks, Message } from 'slack-block-builder';
import { formatRow } from '../audit/format-audit.ts';
import type { AuditResult } from '../audit/types.ts';
import { inlineText, truncate } from './format.ts';

/** Pure: `/sched-status audit` as a message: a verdict line, then one section per violation. */

const MAX_VIOLATIONS_SHOWN = 20;
const MAX_ROWS_SHOWN = 5;

export function auditMessage(result: AuditResult) {
  const nights =
    result.runDates.length === 1
      ? `the night of ${result.runDates[0]}`
      : `the last ${result.runDates.length} nights`;
  const verdict = result.ok
    ? `✅ Audit: every invariant holds for ${nights}.`
    : `❌ Audit: ${result.violations.length} violation${result.violations.length === 1 ? '' : 's'} in ${nights}.`;
  const blocks: BlockBuilder[] = [Blocks.Section({ text: verdict })];
  for (const v of result.violations.slice(0, MAX_VIOLATIONS_SHOWN)) {
    const rows = v.rows.slice(0, MAX_ROWS_SHOWN).map((row) => `\`${inlineText(formatRow(row), 300)}\``);
    const more = v.count > rows.length ? [`… and ${v.count - rows.length} more`] : [];
    const text = [
      `*${v.check}*: ${inlineText(v.message, 600)}`,
      ...rows,
      ...more,
      `→ ${inlineText(v.advice, 400)}${v.fixable ? ' (`sched audit --fix` repairs it)' : ''}`,
    ].join('\n');
    blocks.push(Blocks.Section({ text: truncate(text, 2900) }));
  }
  if (result.violations.length > MAX_VIOLATIONS_SHOWN) {
    blocks.push(
      Blocks.Context().elements(
        `${result.violations.length - MAX_VIOLATIONS_SHOWN} more: run \`sched audit\` for the full list.`,
      ),
    );
  }
  for (const note of result.notes.slice(0, 5))
    blocks.push(Blocks.Context().elements(`ℹ️ ${inlineText(note.message, 600)}`));
  return Message({ text: verdict })
    .blocks(...blocks)
    .buildToObject();
}
