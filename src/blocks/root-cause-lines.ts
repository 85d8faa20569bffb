import { Bits, Blocks, Elements } from 'slack-block-builder';
import { estimateUsd } from '../coverage/cost-math.ts';
import { reasonWords } from '../coverage/reason-words.ts';
import type { RootCause } from '../coverage/root-causes.ts';
import type { CoverageReport } from '../coverage/types.ts';
import { providerDisplayName } from '../provider-names.ts';
import { estimateText } from './cost-lines.ts';
import { count, plural, runDateLabel, truncate } from './format.ts';
import { ACTION_PREFIXES } from './ids.ts';
import { CONFIRM_TEXT_MAX } from './repair-confirm.ts';
import { encodeRepairScope } from './values.ts';

/**
 * Pure: one line per provider-wide root cause (src/coverage/root-causes.ts), above the per-org
 * lists that leave its units out, with a "Retry <provider> only" button in Slack.
 */

/** "412 failures across 58 orgs (71% of its units), mostly rate limited (HTTP 429)" */
export function rootCauseSentence(cause: RootCause): string {
  const share = Math.round((cause.failures / cause.expectedUnits) * 100);
  const words = reasonWords(cause.reason);
  const status = cause.httpStatus === undefined ? '' : ` (HTTP ${cause.httpStatus})`;
  const how = cause.reasonUnits === cause.failures ? 'all' : 'mostly';
  return `${plural(cause.failures, 'failure')} across ${plural(cause.orgs, 'org')} (${share}% of its units), ${how} ${words}${status}`;
}

/** "🔥 *Perplexity*: 412 failures across …" (mrkdwn). */
export const rootCauseLine = (cause: RootCause) =>
  `🔥 *${providerDisplayName(cause.provider)}*: ${rootCauseSentence(cause)}`;

/** "Perplexity: 412 failures across …" for a terminal. */
export const rootCauseTextLine = (cause: RootCause) =>
  `${providerDisplayName(cause.provider)}: ${rootCauseSentence(cause)}`;

/**
 * "Re-run 412 missing Perplexity units in 58 orgs (scope: missing units, Perplexity only, every
 * org) for Sun, Mar 8, 2026? Estimated cost ≈ $0.42": the scope, the count and the cost before
 * anything is written (at most 300 characters, Slack's limit).
 */
export function retryProviderConfirmText(report: CoverageReport, cause: RootCause): string {
  // A root cause has failures, and a failure is neither snoozed nor live: retryUnits > 0.
  const name = providerDisplayName(cause.provider);
  const estimate = report.cost
    ? `\n${capitalize(estimateText(estimateUsd({ [cause.provider]: cause.retryUnits }, report.cost)))}`
    : '';
  const text = `Re-run ${count(cause.retryUnits)} missing ${name} ${cause.retryUnits === 1 ? 'unit' : 'units'} in ${plural(cause.retryOrgs, 'org')} for ${runDateLabel(report.runDate)}?\nScope: missing units, ${name} only, every org; snoozed units stay as they are.${estimate}`;
  return truncate(text, CONFIRM_TEXT_MAX);
}

const capitalize = (text: string) => text.charAt(0).toUpperCase() + text.slice(1);

export function retryProviderButton(report: CoverageReport, cause: RootCause) {
  const name = providerDisplayName(cause.provider);
  return Elements.Button({
    text: `Retry ${name} only`,
    actionId: `${ACTION_PREFIXES.retryProvider}${cause.provider}`,
    value: encodeRepairScope({ runDate: report.runDate, units: 'missing', provider: cause.provider }),
  }).confirm(
    Bits.ConfirmationDialog({
      title: `Retry ${name} only?`,
      text: retryProviderConfirmText(report, cause),
      confirm: 'Retry',
      deny: 'Cancel',
    }),
  );
}

/**
 * One section per root cause; with `retry`, each carries its "Retry <provider> only" button
 * (the views offer it where they offer Repair: not while a repair runs, not before the trigger).
 */
export function rootCauseBlocks(report: CoverageReport, causes: readonly RootCause[], retry: boolean) {
  return causes.map((cause) =>
    Blocks.Section({ text: rootCauseLine(cause) }).accessory(
      retry ? retryProviderButton(report, cause) : undefined,
    ),
  );
}
