import type { Control, SelectOption } from './controls.ts';

/**
 * Pure: what the console user typed for a numbered control, as the Slack client would send it:
 * the action element of a block_actions payload, or the element's entry in a view's state.
 */

export type SelectControl = Extract<Control, { kind: 'select' }>;
export type InputControl = Extract<Control, { kind: 'input' }>;

/** A choice typed by number ("2"), by exact text or value, or by a unique part of the text. */
export function matchOption(
  options: SelectOption[],
  choice: string,
): { match: SelectOption | undefined; candidates: SelectOption[] } {
  const wanted = choice.trim().toLowerCase();
  if (/^\d+$/.test(wanted)) {
    const byNumber = options[Number(wanted) - 1];
    if (byNumber) return { match: byNumber, candidates: [byNumber] };
  }
  const exact = options.filter((o) => o.text.toLowerCase() === wanted || o.value.toLowerCase() === wanted);
  if (exact.length === 1) return { match: exact[0], candidates: exact };
  const partial = options.filter((o) => o.text.toLowerCase().includes(wanted));
  return { match: partial.length === 1 ? partial[0] : undefined, candidates: partial };
}

const slackOption = (o: SelectOption) => ({
  text: { type: 'plain_text', text: o.text, emoji: true },
  value: o.value,
});

/** The state of a select holding `chosen`, in the shape both block_actions and view state use. */
export function selectState(control: SelectControl, chosen: SelectOption[]): Record<string, unknown> {
  const type = control.elementType;
  if (type.startsWith('multi_') || type === 'checkboxes') {
    return { type, selected_options: chosen.map(slackOption) };
  }
  const first = chosen[0];
  if (type.includes('users_select')) return { type, selected_user: first?.value ?? null };
  if (type.includes('conversations_select')) return { type, selected_conversation: first?.value ?? null };
  if (type.includes('channels_select')) return { type, selected_channel: first?.value ?? null };
  return { type, selected_option: first ? slackOption(first) : null };
}

/** The state of a text-like input holding `value` (undefined: left empty). */
export function inputState(control: InputControl, value: string | undefined): Record<string, unknown> {
  const type = control.elementType;
  if (type === 'datepicker') return { type, selected_date: value ?? null };
  if (type === 'timepicker') return { type, selected_time: value ?? null };
  if (type === 'datetimepicker') {
    const seconds = value === undefined ? Number.NaN : Date.parse(value) / 1000;
    return { type, selected_date_time: Number.isFinite(seconds) ? Math.floor(seconds) : null };
  }
  return { type, value: value ?? null };
}

/**
 * `view.state.values` of a modal: every input block's element, with what the user set or the
 * element's initial value. Returns the labels of required inputs that are still empty.
 */
export function viewStateValues(
  controls: Control[],
  chosen: Map<number, SelectOption[] | string>,
): { values: Record<string, Record<string, Record<string, unknown>>>; missing: string[] } {
  const values: Record<string, Record<string, Record<string, unknown>>> = {};
  const missing: string[] = [];
  for (const control of controls) {
    if (control.kind === 'button') continue;
    if (control.kind === 'select' && !control.inInput) continue;
    const set = chosen.get(control.n);
    let state: Record<string, unknown>;
    let empty: boolean;
    if (control.kind === 'select') {
      const options = Array.isArray(set) ? set : control.initial;
      state = selectState(control, options);
      empty = options.length === 0;
    } else {
      const value = typeof set === 'string' ? set : control.initial;
      state = inputState(control, value);
      empty = value === undefined || value === '';
    }
    // The Slack client refuses to submit a modal whose required input is empty; so does the console.
    if (empty && !control.optional) missing.push(control.label || `[${control.n}]`);
    values[control.blockId] = { ...values[control.blockId], [control.actionId]: state };
  }
  return { values, missing };
}
