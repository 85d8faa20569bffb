import { Bits, Blocks, Elements, Modal } from 'slack-block-builder';
import { type RunScope, UNIT_SCOPES, type UnitScope } from '../queue/run-scope.ts';
import { estimateText } from './cost-lines.ts';
import { formatByProvider, plural, runDateLabel } from './format.ts';
import { ACTION_IDS, BLOCK_IDS, CALLBACK_IDS, REPAIR_CONFIRM_FRESH } from './ids.ts';
import { pickedProvider, providerSelect, type StateValues } from './provider-select.ts';

/**
 * "Repair options…": a repair narrowed to failed units, or widened to every unit, of every
 * provider or one. The modal states what each scope would enqueue (units per provider and the
 * estimated cost) before anything is written.
 */

export interface ScopePreview {
  units: number;
  orgs: number;
  byProvider: Record<string, number>;
  usd: number | undefined;
}

export interface RepairModalInput {
  runDate: string;
  /** Each scope's preview over every provider (the breakdown shows what one provider would get). */
  previews: Record<UnitScope, ScopePreview>;
  privateMetadata: string;
}

const SCOPE_TEXT: Record<UnitScope, { text: string; description: string }> = {
  missing: { text: 'Missing units', description: 'No answer yet; snoozed units are left out' },
  failed: { text: 'Failed units only', description: 'Tries that ended in a final failure' },
  all: { text: 'Every unit again', description: 'Succeeded ones too: a whole new night' },
};

const scopeOption = (scope: UnitScope) =>
  Bits.Option({ text: SCOPE_TEXT[scope].text, description: SCOPE_TEXT[scope].description, value: scope });

/** "Missing units: 67 units in 6 orgs (openai 25 · perplexity 42), estimated cost ≈ $0.02" */
export function scopePreviewLine(scope: UnitScope, preview: ScopePreview): string {
  if (preview.units === 0) return `*${SCOPE_TEXT[scope].text}*: nothing to enqueue`;
  const cost = preview.usd === undefined ? '' : `, ${estimateText(preview.usd)}`;
  return `*${SCOPE_TEXT[scope].text}*: ${plural(preview.units, 'unit')} in ${plural(preview.orgs, 'org')} (${formatByProvider(preview.byProvider)})${cost}`;
}

export function repairModal(input: RepairModalInput) {
  return Modal({
    title: 'Repair options',
    submit: 'Repair',
    close: 'Cancel',
    callbackId: CALLBACK_IDS.repairModal,
    privateMetaData: input.privateMetadata,
  })
    .blocks(
      Blocks.Section({ text: `Repair ${runDateLabel(input.runDate)}: what should run again?` }),
      Blocks.Input({ blockId: BLOCK_IDS.repairModalScope, label: 'Which units' }).element(
        Elements.RadioButtons({ actionId: ACTION_IDS.repairModalScope })
          .options(UNIT_SCOPES.map(scopeOption))
          .initialOption(scopeOption('missing')),
      ),
      Blocks.Input({ blockId: BLOCK_IDS.repairModalProvider, label: 'Which provider' }).element(
        providerSelect(ACTION_IDS.repairModalProvider, undefined),
      ),
      Blocks.Context().elements(
        UNIT_SCOPES.map((scope) => scopePreviewLine(scope, input.previews[scope])).join('\n'),
      ),
      // A second "every unit" repair of a night costs a whole night's calls again: a person says so.
      Blocks.Input({ blockId: BLOCK_IDS.repairModalConfirm, label: 'Every unit again' })
        .optional(true)
        .element(
          Elements.Checkboxes({ actionId: ACTION_IDS.repairModalConfirm }).options(
            Bits.Option({
              text: 'Run it even if this night already had fresh answers',
              description: 'Every unit is asked again and stores a second new answer',
              value: REPAIR_CONFIRM_FRESH,
            }),
          ),
        ),
      Blocks.Context().elements(
        'Work already queued is never added twice. One provider gets its share above.',
      ),
    )
    .buildToObject();
}

/** The submitted scope, or errors keyed by block_id for `response_action: 'errors'`. */
export function parseRepairSubmission(
  values: StateValues,
): { ok: true; scope: RunScope; confirmFresh: boolean } | { ok: false; errors: Record<string, string> } {
  const units = values[BLOCK_IDS.repairModalScope]?.[ACTION_IDS.repairModalScope]?.selected_option?.value;
  const provider = pickedProvider(
    values[BLOCK_IDS.repairModalProvider]?.[ACTION_IDS.repairModalProvider]?.selected_option?.value,
  );
  const errors: Record<string, string> = {};
  if (!(UNIT_SCOPES as readonly string[]).includes(units ?? ''))
    errors[BLOCK_IDS.repairModalScope] = 'Pick which units.';
  if (provider === 'invalid') errors[BLOCK_IDS.repairModalProvider] = 'Pick a provider.';
  if (provider === 'invalid' || Object.keys(errors).length > 0) return { ok: false, errors };
  const confirm =
    values[BLOCK_IDS.repairModalConfirm]?.[ACTION_IDS.repairModalConfirm]?.selected_options ?? [];
  return {
    ok: true,
    scope: { units: units as UnitScope, ...(provider ? { provider } : {}) },
    confirmFresh: confirm.some((option) => option.value === REPAIR_CONFIRM_FRESH),
  };
}
