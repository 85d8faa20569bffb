import { DateTime } from 'luxon';
import type { CoverageReport } from '../coverage/types.ts';
import { actorLabel, plural } from './format.ts';

/**
 * Providers taken out of service (or back) while the night ran, one line each, for Slack and
 * plain text: "openai disabled at 03:20 by @dana: 551 units cancelled".
 */
export function providerChangeLines(report: CoverageReport, style: 'slack' | 'text'): string[] {
  return (report.providerChanges ?? []).map((c) => {
    const at = DateTime.fromISO(c.at, { zone: report.timezone }).toFormat('HH:mm');
    const by = style === 'slack' ? actorLabel(c.by) : c.by;
    const what =
      c.change === 'disabled'
        ? `${plural(c.cancelledUnits, 'unit')} cancelled`
        : 'its units are expected again (missing until repaired)';
    return `${c.provider} ${c.change} at ${at} by ${by}: ${what}`;
  });
}
