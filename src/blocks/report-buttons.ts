import { Bits, Elements } from 'slack-block-builder';
import type { CoverageReport } from '../coverage/types.ts';
import { count, plain } from './format.ts';
import { ACTION_IDS } from './ids.ts';
import { incompleteCount, missingByOrg } from './missing-orgs.ts';
import { encodePageValue } from './values.ts';

/** Buttons and selects shared by the report-like views. */

/** Slack's limits: options per static select, characters per option text. */
export const MAX_OPTIONS = 100;
export const OPTION_TEXT_MAX = 75;

/**
 * "Acme Corporation… (12 not fully covered)": the name is cut, the count always shows, in the
 * words and number of the report's org line.
 */
export function orgOptionText(name: string, incomplete?: number): string {
  const suffix = incomplete ? ` (${count(incomplete)} not fully covered)` : '';
  return `${plain(name, OPTION_TEXT_MAX - suffix.length)}${suffix}`;
}

/**
 * "Rerun org…": the orgs with missing prompts as static options when they fit in one select
 * (100 options); otherwise, or when nothing is missing, a typeahead over every org.
 */
export function rerunOrgSelect(report: CoverageReport) {
  const orgs = missingByOrg(report);
  const placeholder = 'Rerun org…';
  if (orgs.length === 0 || orgs.length > MAX_OPTIONS) {
    return Elements.ExternalSelect({ actionId: ACTION_IDS.rerunOrgSelect, placeholder, minQueryLength: 1 });
  }
  return Elements.StaticSelect({ actionId: ACTION_IDS.rerunOrgSelect, placeholder }).options(
    orgs.map((o) => Bits.Option({ text: orgOptionText(o.name, incompleteCount(o)), value: o.orgId })),
  );
}

export const historyButton = (days = 14) =>
  Elements.Button({ text: 'History', actionId: ACTION_IDS.openHistory, value: String(days) });

export const showAllButton = (runDate: string) =>
  Elements.Button({
    text: 'Show all missing prompts',
    actionId: ACTION_IDS.showAllMissing,
    value: encodePageValue({ runDate, page: 0 }),
  });

export const shareButton = (runDate: string) =>
  Elements.Button({ text: 'Share to channel', actionId: ACTION_IDS.shareStatus, value: runDate });
