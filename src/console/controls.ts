/**
 * The numbered controls the console shows (buttons, menus, text inputs) and the loose JSON
 * helpers used to read Block Kit: views come from other code and from Slack, so nothing about
 * their shape is assumed beyond what is checked here.
 */

export interface SelectOption {
  text: string;
  value: string;
}

export interface Confirm {
  title: string;
  text: string;
  confirm: string;
  deny: string;
}

interface ControlBase {
  n: number;
  blockId: string;
  actionId: string;
  label: string;
}

export type Control =
  | (ControlBase & { kind: 'button'; value: string | undefined; url?: string; confirm?: Confirm })
  | (ControlBase & {
      kind: 'select';
      elementType: string;
      /** Static choices; empty for external selects, whose options the app loads on demand. */
      options: SelectOption[];
      external: boolean;
      multi: boolean;
      initial: SelectOption[];
      /** true inside an input block of a modal: the choice is sent with the submission. */
      inInput: boolean;
      optional: boolean;
      confirm?: Confirm;
    })
  | (ControlBase & { kind: 'input'; elementType: string; initial: string | undefined; optional: boolean });

export type Json = Record<string, unknown>;
export const asObject = (value: unknown): Json => (value && typeof value === 'object' ? (value as Json) : {});
export const asArray = (value: unknown): Json[] => (Array.isArray(value) ? value.map(asObject) : []);
export const str = (value: unknown): string | undefined => (typeof value === 'string' ? value : undefined);
/** A string field of a Slack object, '' when absent. */
export const field = (value: unknown): string => str(value) ?? '';

export const SELECT_TYPES = new Set([
  'static_select',
  'external_select',
  'multi_static_select',
  'multi_external_select',
  'overflow',
  'radio_buttons',
  'checkboxes',
  'users_select',
  'conversations_select',
  'channels_select',
  'multi_users_select',
  'multi_conversations_select',
  'multi_channels_select',
]);
export const INPUT_TYPES = new Set([
  'plain_text_input',
  'datepicker',
  'timepicker',
  'datetimepicker',
  'number_input',
  'email_text_input',
  'url_text_input',
  'rich_text_input',
]);
