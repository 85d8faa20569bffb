import { DateTime } from 'luxon';
import type { CoverageReport } from '../coverage/types.ts';
import { actorLabel, plural } from './format.ts';

/**
 * Providers taken out of service (or back) while the night ran, one line each, for Slack and
 * plain text: "openai disabled at 03:20 by @dana: 551 units cancelled".
 */
const SHOWN = 5;

export function providerChangeLines(report: CoverageReport, style: 'slack' | 'text'): string[] {
  const changes = report.providerChanges ?? [];
  const lines = changes.slice(0, SHOWN).map((c) => {
    const at = DateTime.fromISO(c.at, { zone: report.timezone }).toFormat('HH:mm');
    const by = style === 'slack' ? actorLabel(c.by) : c.by;
    const what =
      c.change === 'disabled'
        ? `${plural(c.cancelledUnits, 'unit')} cancelled`
        : 'its units are expected again (missing until repaired)';
    return `${c.provider} ${c.change} at ${at} by ${by}: ${what}`;
  });
  // A Context block holds at most 2,000 characters: the rest is counted, not cut silently.
  if (changes.length > SHOWN) lines.push(`+${changes.length - SHOWN} more provider changes this night`);
  return lines;
}
