import { Bits, Blocks, Elements, Modal, setIfTruthy } from 'slack-block-builder';
import type { ProviderName } from '../provider-names.ts';
import { estimateText, formatUsd } from './cost-lines.ts';
import { count, inlineText, plural, runDateLabel } from './format.ts';
import { ACTION_IDS, BLOCK_IDS, CALLBACK_IDS, RERUN_SCOPES, type RerunScopeValue } from './ids.ts';
import { pickedProvider, providerSelect, type StateValues } from './provider-select.ts';
import { orgOptionText } from './report-buttons.ts';
import type { OrgChoice } from './types.ts';

/**
 * /sched-rerun without a clear org, or "Rerun org…" on a report: pick the org with a typeahead,
 * choose the scope (missing, failed only, all) and optionally one provider, submit. The preview
 * under it says what each scope would enqueue, per provider, and what it should cost.
 */

const MAX_CANDIDATES = 10;
export const PRIVATE_METADATA_MAX = 3000;

export interface RerunModalInput {
  /** Candidates for an ambiguous query, named above the typeahead. */
  orgs?: OrgChoice[];
  /** What the user typed, when it matched several orgs. */
  query?: string;
  initialOrg?: OrgChoice;
  scope?: RerunScopeValue;
  /** The provider preselected (`--provider`); every provider when absent. */
  provider?: ProviderName | undefined;
  /** The business day the rerun is for (shown, not editable). */
  runDate?: string;
  /** Passed through to the submission (channel, response_url…); at most 3,000 characters. */
  privateMetadata?: string;
  /** The estimated cost (report/rerun-cost.ts); absent until it is known. */
  cost?: RerunCostPreview;
}

export interface RerunCostPreview {
  /** 1,000 units of each provider at the night's average tokens per call, in USD. */
  perThousandUnits: { provider: string; usd: number }[];
  /** With the org known: what each scope would enqueue, in all and per provider. */
  estimates?: Partial<Record<RerunScopeValue, ScopeEstimate>>;
}

export interface ScopeEstimate {
  units: number;
  usd: number;
  /** The same split by provider, so a one-provider rerun can be read off too. */
  byProvider?: { provider: string; units: number; usd: number }[];
}

/**
 * One line per scope: "*Failed prompts only*: 12 units, estimated cost ≈ $0.02 (gemini 8 ≈ $0.01
 * · openai 4 ≈ <$0.01)"; before an org is picked, the price of 1,000 units per provider.
 */
export function rerunCostText(cost: RerunCostPreview): string {
  const scopes = RERUN_SCOPES.flatMap((scope) => {
    const estimate = cost.estimates?.[scope];
    return estimate ? [`*${SCOPE_OPTIONS[scope].text}*: ${estimateWords(estimate)}`] : [];
  });
  if (scopes.length > 0) return `💵 What each choice would run:\n${scopes.join('\n')}`;
  const prices = cost.perThousandUnits.map((p) => `${p.provider} ${formatUsd(p.usd)}`).join(' · ');
  return `💵 Estimated cost per 1,000 units, at tonight's average tokens per call: ${prices}`;
}

function estimateWords(estimate: ScopeEstimate): string {
  if (estimate.units === 0) return 'nothing to run';
  const total = `${plural(estimate.units, 'unit')}, ${estimateText(estimate.usd)}`;
  const split = (estimate.byProvider ?? []).map(
    (p) => `${p.provider} ${count(p.units)} ≈ ${formatUsd(p.usd)}`,
  );
  return split.length > 0 ? `${total} (${split.join(' · ')})` : total;
}

const SCOPE_OPTIONS: Record<RerunScopeValue, { text: string; description: string }> = {
  missing: {
    text: 'Missing prompts only',
    description: 'Only the prompt × provider pairs that have no answer yet',
  },
  failed: {
    text: 'Failed prompts only',
    description: 'Only the pairs whose try ended in a final failure (not those never tried)',
  },
  all: { text: 'All prompts', description: 'Every active prompt of the org again, answered or not' },
};

const scopeOption = (scope: RerunScopeValue) =>
  Bits.Option({
    text: SCOPE_OPTIONS[scope].text,
    description: SCOPE_OPTIONS[scope].description,
    value: scope,
  });

export function rerunModal(input: RerunModalInput = {}) {
  if ((input.privateMetadata?.length ?? 0) > PRIVATE_METADATA_MAX) {
    throw new Error(`private_metadata is over Slack's ${PRIVATE_METADATA_MAX} characters`);
  }
  const orgField = Elements.ExternalSelect({
    actionId: ACTION_IDS.rerunModalOrg,
    placeholder: 'Type part of a name or slug',
    minQueryLength: 1,
  });
  if (input.initialOrg) {
    orgField.initialOption(
      Bits.Option({ text: orgOptionText(input.initialOrg.name), value: input.initialOrg.id }),
    );
  }
  return Modal({
    title: 'Rerun an org',
    submit: 'Rerun',
    close: 'Cancel',
    callbackId: CALLBACK_IDS.rerunModal,
    ...(input.privateMetadata ? { privateMetaData: input.privateMetadata } : {}),
  })
    .blocks(
      setIfTruthy(input.orgs && input.orgs.length > 0, Blocks.Section({ text: candidatesText(input) })),
      // dispatch_action: picking an org sends a block action, and the preview is filled for it.
      Blocks.Input({ blockId: BLOCK_IDS.rerunModalOrg, label: 'Organization' })
        .dispatchAction(true)
        .element(orgField),
      Blocks.Input({ blockId: BLOCK_IDS.rerunModalScope, label: 'What to run' }).element(
        Elements.RadioButtons({ actionId: ACTION_IDS.rerunModalScope })
          .options(RERUN_SCOPES.map(scopeOption))
          .initialOption(scopeOption(input.scope ?? 'missing')),
      ),
      Blocks.Input({
        blockId: BLOCK_IDS.rerunModalProvider,
        label: 'Provider',
        hint: 'Only this provider’s prompts, in the scope chosen above',
      })
        .optional(true)
        .element(providerSelect(ACTION_IDS.rerunModalProvider, input.provider)),
      Blocks.Context().elements(
        `${input.runDate ? `Runs for ${runDateLabel(input.runDate)}. ` : ''}Work already queued is never added twice.`,
      ),
      setIfTruthy(input.cost, input.cost && Blocks.Context().elements(rerunCostText(input.cost))),
    )
    .buildToObject();
}

function candidatesText(input: RerunModalInput): string {
  const orgs = input.orgs ?? [];
  const names = orgs
    .slice(0, MAX_CANDIDATES)
    .map((o) => `*${inlineText(o.name, 120)}*${o.slug ? ` (${inlineText(o.slug, 60)})` : ''}`);
  if (orgs.length > MAX_CANDIDATES) names.push(`+${orgs.length - MAX_CANDIDATES} more`);
  const asked = input.query ? `“${inlineText(input.query, 80)}” matches` : 'Matching:';
  return `${asked} ${plural(orgs.length, 'org')}: ${names.join(', ')}. Pick one below.`;
}

export type RerunSubmission =
  | { ok: true; orgId: string; scope: RerunScopeValue; provider: ProviderName | undefined }
  | { ok: false; errors: Record<string, string> };

/** Reads the modal's submission; errors are keyed by block_id for `response_action: 'errors'`. */
export function parseRerunSubmission(values: StateValues): RerunSubmission {
  const orgId = values[BLOCK_IDS.rerunModalOrg]?.[ACTION_IDS.rerunModalOrg]?.selected_option?.value;
  const scope =
    values[BLOCK_IDS.rerunModalScope]?.[ACTION_IDS.rerunModalScope]?.selected_option?.value ?? 'missing';
  // The provider block is optional: no value (or a view opened before it existed) is every provider.
  const provider = pickedProvider(
    values[BLOCK_IDS.rerunModalProvider]?.[ACTION_IDS.rerunModalProvider]?.selected_option?.value,
  );
  const errors: Record<string, string> = {};
  if (!orgId) errors[BLOCK_IDS.rerunModalOrg] = 'Pick an org.';
  if (!(RERUN_SCOPES as readonly string[]).includes(scope))
    errors[BLOCK_IDS.rerunModalScope] = 'Pick what to run.';
  if (provider === 'invalid') errors[BLOCK_IDS.rerunModalProvider] = 'Pick a provider, or every provider.';
  if (!orgId || provider === 'invalid' || Object.keys(errors).length > 0) return { ok: false, errors };
  return { ok: true, orgId, scope: scope as RerunScopeValue, provider };
}

/** The choices made so far in an open rerun modal (its state), to keep them when it is redrawn. */
export function rerunModalChoices(values: StateValues): { scope?: RerunScopeValue; provider?: ProviderName } {
  const scope = values[BLOCK_IDS.rerunModalScope]?.[ACTION_IDS.rerunModalScope]?.selected_option?.value;
  const provider = pickedProvider(
    values[BLOCK_IDS.rerunModalProvider]?.[ACTION_IDS.rerunModalProvider]?.selected_option?.value,
  );
  return {
    ...((RERUN_SCOPES as readonly string[]).includes(scope ?? '') ? { scope: scope as RerunScopeValue } : {}),
    ...(provider && provider !== 'invalid' ? { provider } : {}),
  };
}
