import {
  asArray,
  asObject,
  type Confirm,
  type Control,
  INPUT_TYPES,
  type Json,
  SELECT_TYPES,
  type SelectOption,
  str,
} from './controls.ts';
import { mrkdwnToText, richElementsToText, type TextOptions, textOf } from './mrkdwn.ts';

/**
 * Pure: a Block Kit message or modal as readable terminal text, with every interactive element
 * numbered so the console user can press it (`click 2`, `pick 3 acme`, `set 4 ...`). The numbers
 * start at `firstNumber`, so a whole session can share one sequence.
 */

export interface Rendered {
  text: string;
  controls: Control[];
}

export interface RenderOptions extends TextOptions {
  firstNumber?: number;
}

/** Longest choice list written inside the control's line; longer ones go on lines below. */
const INLINE_CHOICES = 70;
const MAX_CHOICES = 12;
const LINE_WIDTH = 100;

class Renderer {
  readonly lines: string[] = [];
  readonly controls: Control[] = [];
  private next: number;

  constructor(private readonly options: RenderOptions) {
    this.next = options.firstNumber ?? 1;
  }

  text(value: unknown): string {
    return textOf(value, this.options);
  }

  private option(o: Json): SelectOption {
    return { text: this.text(o.text), value: str(o.value) ?? '' };
  }

  private options_(element: Json): SelectOption[] {
    const groups = asArray(element.option_groups);
    const options = groups.length ? groups.flatMap((g) => asArray(g.options)) : asArray(element.options);
    return options.map((o) => this.option(o));
  }

  private confirmOf(element: Json): Confirm | undefined {
    if (!element.confirm) return undefined;
    const c = asObject(element.confirm);
    return {
      title: this.text(c.title),
      text: this.text(c.text),
      confirm: this.text(c.confirm) || 'Confirm',
      deny: this.text(c.deny) || 'Cancel',
    };
  }

  /** Lines that go under the current block: long choice lists, which would not fit inline. */
  private below: string[] = [];

  private choices(n: number, options: SelectOption[], type: string): string {
    if (options.length === 0) return type.includes('external') ? ' {type to search}' : '';
    const numbered = options.map((o, i) => `${i + 1}) ${o.text}`);
    const inline = ` {${numbered.join('  ')}}`;
    if (inline.length <= INLINE_CHOICES) return inline;
    const shown = numbered.slice(0, MAX_CHOICES);
    let line = `    [${n}]`;
    for (const choice of shown) {
      if (line.length + choice.length > LINE_WIDTH) {
        this.below.push(line);
        line = '        ';
      }
      line += ` ${choice} `;
    }
    this.below.push(line.trimEnd());
    if (options.length > shown.length)
      this.below.push(`        +${options.length - shown.length} more: pick ${n} <part of a name>`);
    return ` {${options.length} choices below}`;
  }

  /** Registers one element as a control and returns how it reads inline. */
  element(raw: unknown, blockId: string, input?: { label: string; optional: boolean }): string {
    const element = asObject(raw);
    const type = str(element.type) ?? '';
    const actionId = str(element.action_id) ?? '';
    const confirm = this.confirmOf(element);
    if (type === 'button') {
      const n = this.next++;
      const label = this.text(element.text);
      const url = str(element.url);
      this.controls.push({
        kind: 'button',
        n,
        blockId,
        actionId,
        label,
        value: str(element.value),
        ...(url ? { url } : {}),
        ...(confirm ? { confirm } : {}),
      });
      // Slack colours a danger button red; here it says what pressing it does first.
      const style = confirm ? ' (asks to confirm)' : '';
      return `[${n}] ${label}${style}${url ? ` -> ${url}` : ''}`;
    }
    if (SELECT_TYPES.has(type)) {
      const n = this.next++;
      const options = this.options_(element);
      const initial = [
        ...asArray(element.initial_options),
        ...(element.initial_option ? [asObject(element.initial_option)] : []),
      ].map((o) => this.option(o));
      const label =
        input?.label || this.text(element.placeholder) || (type === 'overflow' ? 'More' : 'Choose');
      this.controls.push({
        kind: 'select',
        n,
        blockId,
        actionId,
        label,
        elementType: type,
        options,
        external: type.includes('external'),
        multi: type.startsWith('multi_') || type === 'checkboxes',
        initial,
        inInput: input !== undefined,
        optional: input?.optional ?? true,
        ...(confirm ? { confirm } : {}),
      });
      const chosen = initial.length ? `: ${initial.map((o) => o.text).join(', ')}` : '';
      return `[${n}] ${input ? '' : '▾ '}${label}${chosen}${this.choices(n, options, type)}`;
    }
    if (INPUT_TYPES.has(type)) {
      const n = this.next++;
      const initial =
        str(element.initial_value) ?? str(element.initial_date) ?? str(element.initial_time) ?? undefined;
      this.controls.push({
        kind: 'input',
        n,
        blockId,
        actionId,
        label: input?.label ?? this.text(element.placeholder),
        elementType: type,
        initial,
        optional: input?.optional ?? true,
      });
      const hint = this.text(element.placeholder);
      return `[${n}] ${input?.label ?? ''}${input?.optional ? ' (optional)' : ''}: ${initial ?? (hint ? `<${hint}>` : '<empty>')}`;
    }
    if (type === 'image') return `[image: ${str(element.alt_text) ?? ''}]`;
    return this.text(element);
  }

  block(raw: unknown): void {
    this.blockLines(asObject(raw));
    this.lines.push(...this.below.splice(0));
  }

  private blockLines(block: Json): void {
    const blockId = str(block.block_id) ?? '';
    switch (block.type) {
      case 'header': {
        const title = this.text(block.text);
        this.lines.push(title, '='.repeat(Math.min(Math.max(title.length, 3), 78)));
        return;
      }
      case 'section': {
        if (block.text) this.lines.push(this.text(block.text));
        // A field is a short "label\nvalue" pair: one line reads better in a terminal.
        for (const field of asArray(block.fields))
          this.lines.push(`  ${this.text(field).replace(/\n+/g, ' ')}`);
        if (block.accessory) this.lines.push(`  ${this.element(block.accessory, blockId)}`);
        return;
      }
      case 'divider':
        this.lines.push('-'.repeat(40));
        return;
      case 'context':
        this.lines.push(
          `  ${asArray(block.elements)
            .map((e) => (e.type === 'image' ? `[${str(e.alt_text) ?? 'image'}]` : this.text(e)))
            .join('  ')}`,
        );
        return;
      case 'actions':
        this.lines.push(
          asArray(block.elements)
            .map((e) => this.element(e, blockId))
            .join('   '),
        );
        return;
      case 'input': {
        const label = this.text(block.label);
        const line = this.element(block.element, blockId, { label, optional: block.optional === true });
        this.lines.push(line);
        if (block.hint) this.lines.push(`    ${this.text(block.hint)}`);
        return;
      }
      case 'image':
        this.lines.push(`[image: ${this.text(block.title) || (str(block.alt_text) ?? '')}]`);
        return;
      case 'rich_text':
        for (const element of asArray(block.elements)) this.richText(element);
        return;
      case 'markdown':
        this.lines.push(str(block.text) ?? '');
        return;
      default:
        this.lines.push(`[${str(block.type) ?? 'unknown'} block]`);
    }
  }

  private richText(element: Json): void {
    switch (element.type) {
      case 'rich_text_list': {
        const indent = '  '.repeat(Number(element.indent ?? 0) + 1);
        const ordered = element.style === 'ordered';
        const offset = Number(element.offset ?? 0);
        asArray(element.elements).forEach((item, i) => {
          const marker = ordered ? `${offset + i + 1}.` : '•';
          this.lines.push(`${indent}${marker} ${richElementsToText(item.elements, this.options)}`);
        });
        return;
      }
      case 'rich_text_preformatted':
        this.lines.push('```', richElementsToText(element.elements, this.options), '```');
        return;
      case 'rich_text_quote':
        this.lines.push(`> ${richElementsToText(element.elements, this.options)}`);
        return;
      default:
        this.lines.push(richElementsToText(element.elements, this.options));
    }
  }
}

/** A message ({ text, blocks }): the blocks when there are any, the notification text otherwise. */
export function renderMessage(
  message: { text?: unknown; blocks?: unknown },
  options: RenderOptions = {},
): Rendered {
  const renderer = new Renderer(options);
  const blocks = Array.isArray(message.blocks) ? message.blocks : [];
  // A message's top-level text is mrkdwn unless the app says otherwise.
  if (blocks.length === 0)
    renderer.lines.push(typeof message.text === 'string' ? mrkdwnToText(message.text, options) : '');
  for (const block of blocks) renderer.block(block);
  return { text: renderer.lines.join('\n'), controls: renderer.controls };
}

/** A modal or Home tab view: title, blocks, and the submit / close buttons as words to type. */
export function renderView(view: unknown, options: RenderOptions = {}): Rendered {
  const v = asObject(view);
  const renderer = new Renderer(options);
  const title = renderer.text(v.title) || (v.type === 'home' ? 'App Home' : 'Modal');
  renderer.lines.push(`+-- ${title} ${'-'.repeat(Math.max(3, 40 - title.length))}`);
  for (const block of asArray(v.blocks)) renderer.block(block);
  const submit = v.submit ? renderer.text(v.submit) : undefined;
  const close = v.close ? renderer.text(v.close) : v.type === 'modal' ? 'Close' : undefined;
  const footer = [submit ? `"submit" = ${submit}` : '', close ? `"close" = ${close}` : '']
    .filter(Boolean)
    .join('   ');
  renderer.lines.push(`+--${footer ? ` ${footer} ` : ''}${'-'.repeat(10)}`);
  return { text: renderer.lines.join('\n'), controls: renderer.controls };
}
