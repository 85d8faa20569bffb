import { Bits, Elements } from 'slack-block-builder';
import { estimateUsd, type NightCost } from '../coverage/cost-math.ts';
import { actionableByProvider, actionableUnits } from '../coverage/snoozed-units.ts';
import type { CoverageReport } from '../coverage/types.ts';
import type { EnqueuePreview } from '../queue/enqueue-units.ts';
import { estimateText } from './cost-lines.ts';
import { formatByProvider, plural, truncate } from './format.ts';
import { ACTION_IDS } from './ids.ts';

/** The Repair button and the confirm dialog that says what it will enqueue before anything is written. */

/** Slack's limit for a confirm dialog's text. */
export const CONFIRM_TEXT_MAX = 300;

export interface RepairPreviewInput extends EnqueuePreview {
  /** false before the nightly trigger ran: a repair then enqueues the whole night. */
  nightlyTriggered?: boolean;
  /** Units x the night's average tokens per call of each provider, priced (cost-math.ts). */
  estimatedUsd?: number | undefined;
}

/** The preview with its estimated cost from the night's own calls, when the night has a cost. */
export function withEstimate(preview: RepairPreviewInput, cost: NightCost | undefined): RepairPreviewInput {
  if (!cost || preview.estimatedUsd !== undefined) return preview;
  return { ...preview, estimatedUsd: estimateUsd(preview.byProvider, cost) };
}

/** "Enqueue 161 units in 12 orgs? openai 41 · perplexity 120" (at most 300 characters). */
export function repairConfirmText(preview: RepairPreviewInput): string {
  if (preview.units === 0) {
    return 'Nothing is missing that is not already queued: a repair would enqueue nothing.';
  }
  const warning =
    preview.nightlyTriggered === false
      ? '\nThe nightly trigger has not run for this date: this runs the whole night.'
      : '';
  const estimate =
    preview.estimatedUsd === undefined ? '' : `\n${capitalize(estimateText(preview.estimatedUsd))}`;
  const text = `Re-run ${plural(preview.units, 'missing unit')} in ${plural(preview.orgs, 'org')}?\n${formatByProvider(preview.byProvider)}${estimate}${warning}`;
  return truncate(text, CONFIRM_TEXT_MAX);
}

const capitalize = (text: string) => text.charAt(0).toUpperCase() + text.slice(1);

/** The preview a report implies when no fresher one is given: its missing units per provider. */
export function previewFromReport(report: CoverageReport): RepairPreviewInput {
  // Snoozed units are not repaired.
  const byProvider = actionableByProvider(report);
  const preview = {
    units: actionableUnits(report),
    orgs: new Set(report.incompletePrompts.map((p) => p.org_id)).size,
    byProvider,
  };
  return withEstimate(preview, report.cost);
}

export function repairButton(runDate: string, preview: RepairPreviewInput) {
  return Elements.Button({ text: 'Repair', actionId: ACTION_IDS.repair, value: runDate })
    .danger()
    .confirm(
      Bits.ConfirmationDialog({
        title: `Repair ${runDate}?`,
        text: repairConfirmText(preview),
        confirm: 'Repair',
        deny: 'Cancel',
      }).danger(),
    );
}

/** Next to Repair: opens the repair modal to narrow (failed only, one provider) or widen the scope. */
export function repairOptionsButton(runDate: string) {
  return Elements.Button({ text: 'Repair options…', actionId: ACTION_IDS.repairOptions, value: runDate });
}
