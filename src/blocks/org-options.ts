import { MAX_OPTIONS, orgOptionText } from './report-buttons.ts';
import type { OrgChoice } from './types.ts';

/** The options-load answer for the org typeaheads: at most 100 options, texts within 75 characters. */

export interface OptionsResponse {
  options: { text: { type: 'plain_text'; text: string }; value: string }[];
}

export function orgOptions(orgs: (OrgChoice & { missing?: number })[]): OptionsResponse {
  return {
    options: orgs.slice(0, MAX_OPTIONS).map((o) => ({
      text: { type: 'plain_text', text: orgOptionText(o.slug ? `${o.name} · ${o.slug}` : o.name, o.missing) },
      value: o.id,
    })),
  };
}
