import { Blocks } from 'slack-block-builder';
import type { CoverageReport } from '../coverage/types.ts';
import { figuresText } from './coverage-summary.ts';
import { actorLabel, count, plural, progressBar, slackDate } from './format.ts';
import { BLOCK_IDS } from './ids.ts';
import type { RepairState } from './types.ts';

/** The repair line of the morning report: who started it, how far it is, and the result. */

export function repairStateText(repair: RepairState, report: CoverageReport): string {
  const who = actorLabel(repair.userId);
  const zone = report.timezone;
  const failed = repair.failed ?? 0;
  if (repair.finishedAt) {
    const succeeded = Math.max(0, repair.done - failed);
    const live = liveUnits(report);
    // "Final" only when the measured night has no live unit: another run may still be working.
    const figures =
      live === 0 ? 'Final coverage:' : `${plural(live, 'unit')} of the night still running; coverage so far:`;
    return [
      `✅ Repair by ${who} finished ${slackDate(repair.finishedAt, zone)}: ${plural(repair.units, 'unit')}, ${count(succeeded)} succeeded, ${count(failed)} failed.`,
      `${figures} ${figuresText(report)}.`,
    ].join('\n');
  }
  const failedNote = failed > 0 ? `, ${count(failed)} failed` : '';
  return [
    `🔧 Repair started by ${who}: ${plural(repair.units, 'unit')} (${slackDate(repair.startedAt, zone)})`,
    `${progressBar(repair.done, repair.units)} ${count(repair.done)}/${count(repair.units)} done${failedNote}`,
  ].join('\n');
}

export const repairStateBlock = (repair: RepairState, report: CoverageReport) =>
  Blocks.Section({ blockId: BLOCK_IDS.repairState, text: repairStateText(repair, report) });

export const isRepairRunning = (repair: RepairState | undefined) =>
  repair !== undefined && !repair.finishedAt;

/** Units of the night pending or running when the report was measured. */
export const liveUnits = (report: CoverageReport) => report.tasks.pending + report.tasks.processing;

/**
 * Repair is offered again after a repair only once the night has no live unit: while some run
 * (another repair, a rerun), the figures are not final and a click would race them.
 */
export const repairSettled = (repair: RepairState | undefined, report: CoverageReport) =>
  repair === undefined || (!isRepairRunning(repair) && liveUnits(report) === 0);
