import { Bits, Elements } from 'slack-block-builder';
import { isProviderName, PROVIDER_NAMES, type ProviderName } from '../provider-names.ts';
import { EVERY_PROVIDER } from './ids.ts';

/**
 * The "which provider" select of the rerun and repair modals: "Every provider" first, then each
 * provider; and the reading of what comes back, which passes through a user's client.
 */

const providerOption = (value: string) =>
  Bits.Option({ text: value === EVERY_PROVIDER ? 'Every provider' : value, value });

export function providerSelect(actionId: string, initial: ProviderName | undefined) {
  return Elements.StaticSelect({ actionId })
    .options([EVERY_PROVIDER, ...PROVIDER_NAMES].map(providerOption))
    .initialOption(providerOption(initial ?? EVERY_PROVIDER));
}

/** A provider, undefined for every provider (or no choice), or 'invalid' for anything else. */
export function pickedProvider(value: string | undefined): ProviderName | undefined | 'invalid' {
  if (value === undefined || value === EVERY_PROVIDER) return undefined;
  return isProviderName(value) ? value : 'invalid';
}

/** Modal state as Slack sends it back: block_id -> action_id -> the element's selection. */
export type StateValues = Record<
  string,
  Record<
    string,
    { selected_option?: { value?: string } | null; selected_options?: { value?: string }[] } | undefined
  >
>;
