/**
 * Block Kit limits, checked on the JSON a view builds: counts, lengths, unique ids, and that no
 * user text turned into a mention or link (every `<...>` in mrkdwn must be one the views make on
 * purpose: a user, a user group or a date token). Returns the violations; [] means Slack accepts it.
 */

export type SurfaceKind = 'message' | 'modal' | 'home' | 'options';

type Json = Record<string, unknown>;

const MAX_BLOCKS: Record<Exclude<SurfaceKind, 'options'>, number> = { message: 50, modal: 100, home: 100 };
const ALLOWED_TOKEN = /^<(@[UW][A-Z0-9]+|!subteam\^S[A-Z0-9]+|!date\^\d+\^[^|<>]+\|[^<>|]+)>$/;

export function checkBlockKitLimits(view: unknown, kind: SurfaceKind): string[] {
  const v = new Checker();
  const root = view as Json;
  if (kind === 'options') {
    v.options(root.options, 'options', 100);
    return v.problems;
  }
  if (kind === 'message') {
    const text = root.text;
    if (typeof text !== 'string' || text.trim().length < 10)
      v.add('text', 'a meaningful top-level text is required');
    else {
      v.max('text', text, 40_000);
      v.mrkdwn('text', text);
    }
  } else {
    v.equal('type', root.type, kind);
    v.max('callback_id', root.callback_id, 255);
    v.max('private_metadata', root.private_metadata, 3000);
  }
  if (kind === 'modal') {
    v.plain('title', root.title, 24, true);
    v.plain('close', root.close, 24);
    v.plain('submit', root.submit, 24);
    const blocks = (root.blocks ?? []) as Json[];
    if (blocks.some((b) => b.type === 'input') && root.submit === undefined)
      v.add('submit', 'inputs need a submit');
  }
  const blocks = root.blocks;
  if (!Array.isArray(blocks) || blocks.length === 0) v.add('blocks', 'no blocks');
  else {
    if (blocks.length > MAX_BLOCKS[kind])
      v.add('blocks', `${blocks.length} blocks, over ${MAX_BLOCKS[kind]}`);
    blocks.forEach((b, i) => {
      v.block(b as Json, `blocks[${i}]`);
    });
  }
  return v.problems;
}

class Checker {
  problems: string[] = [];
  private blockIds = new Set<string>();
  private actionIds = new Set<string>();

  add(path: string, problem: string) {
    this.problems.push(`${path}: ${problem}`);
  }

  equal(path: string, actual: unknown, expected: unknown) {
    if (actual !== expected) this.add(path, `expected ${String(expected)}, got ${String(actual)}`);
  }

  max(path: string, value: unknown, limit: number) {
    if (value === undefined) return;
    if (typeof value !== 'string') return this.add(path, 'not a string');
    if (value.length > limit) this.add(path, `${value.length} characters, over ${limit}`);
  }

  /** A user text inside mrkdwn: only the tokens the views create, and every & < > escaped. */
  mrkdwn(path: string, text: string) {
    for (const token of text.match(/<[^>]*>?/g) ?? []) {
      if (!ALLOWED_TOKEN.test(token)) this.add(path, `unexpected token ${token.slice(0, 60)}`);
    }
    if (/&(?!amp;|lt;|gt;)/.test(text)) this.add(path, 'unescaped &');
    if (/>/.test(text.replace(/<[^<>]*>/g, ''))) this.add(path, 'unescaped >');
  }

  text(path: string, obj: unknown, limit: number, required = true) {
    if (obj === undefined) {
      if (required) this.add(path, 'missing text');
      return;
    }
    const t = obj as Json;
    if (t.type !== 'plain_text' && t.type !== 'mrkdwn')
      return this.add(path, `bad text type ${String(t.type)}`);
    if (typeof t.text !== 'string' || t.text.length === 0) return this.add(path, 'empty text');
    this.max(path, t.text, limit);
    if (t.type === 'mrkdwn') this.mrkdwn(path, t.text);
  }

  plain(path: string, obj: unknown, limit: number, required = false) {
    if (obj !== undefined && (obj as Json).type !== 'plain_text') this.add(path, 'must be plain_text');
    this.text(path, obj, limit, required);
  }

  block(b: Json, path: string) {
    if (b.block_id !== undefined) {
      const id = String(b.block_id);
      this.max(`${path}.block_id`, id, 255);
      if (this.blockIds.has(id)) this.add(`${path}.block_id`, `duplicate ${id}`);
      this.blockIds.add(id);
    }
    switch (b.type) {
      case 'header':
        this.plain(`${path}.text`, b.text, 150, true);
        break;
      case 'section': {
        const fields = (b.fields ?? []) as unknown[];
        if (b.text === undefined && fields.length === 0) this.add(path, 'section without text or fields');
        this.text(`${path}.text`, b.text, 3000, false);
        if (fields.length > 10) this.add(`${path}.fields`, `${fields.length} fields, over 10`);
        fields.forEach((f, i) => {
          this.text(`${path}.fields[${i}]`, f, 2000);
        });
        if (b.accessory) this.element(b.accessory as Json, `${path}.accessory`);
        break;
      }
      case 'context': {
        const elements = (b.elements ?? []) as Json[];
        if (elements.length === 0 || elements.length > 10)
          this.add(path, `${elements.length} context elements`);
        elements.forEach((e, i) => {
          this.text(`${path}.elements[${i}]`, e, 3000);
        });
        break;
      }
      case 'actions': {
        const elements = (b.elements ?? []) as Json[];
        if (elements.length === 0 || elements.length > 25)
          this.add(path, `${elements.length} action elements`);
        elements.forEach((e, i) => {
          this.element(e, `${path}.elements[${i}]`);
        });
        break;
      }
      case 'input':
        this.plain(`${path}.label`, b.label, 2000, true);
        this.plain(`${path}.hint`, b.hint, 2000);
        this.element(b.element as Json, `${path}.element`);
        break;
      case 'divider':
        break;
      default:
        this.add(path, `unexpected block type ${String(b.type)}`);
    }
  }

  element(e: Json, path: string) {
    if (e.action_id !== undefined) {
      const id = String(e.action_id);
      this.max(`${path}.action_id`, id, 255);
      if (this.actionIds.has(id)) this.add(`${path}.action_id`, `duplicate ${id}`);
      this.actionIds.add(id);
    }
    this.plain(`${path}.placeholder`, e.placeholder, 150);
    if (e.confirm) this.confirm(e.confirm as Json, `${path}.confirm`);
    switch (e.type) {
      case 'button':
        this.plain(`${path}.text`, e.text, 75, true);
        this.max(`${path}.value`, e.value, 2000);
        this.max(`${path}.url`, e.url, 3000);
        if (e.style !== undefined && e.style !== 'primary' && e.style !== 'danger')
          this.add(path, 'bad style');
        break;
      case 'static_select':
        this.options(e.options, `${path}.options`, 100);
        if (e.options === undefined || (e.options as unknown[]).length === 0)
          this.add(path, 'static select without options');
        if (e.initial_option) this.option(e.initial_option as Json, `${path}.initial_option`);
        break;
      case 'external_select':
        if (e.initial_option) this.option(e.initial_option as Json, `${path}.initial_option`);
        break;
      case 'overflow':
        this.options(e.options, `${path}.options`, 5);
        if (!Array.isArray(e.options) || e.options.length < 2)
          this.add(path, 'overflow needs 2 to 5 options');
        break;
      case 'radio_buttons':
        this.options(e.options, `${path}.options`, 10);
        if (e.initial_option) this.option(e.initial_option as Json, `${path}.initial_option`);
        break;
      default:
        this.add(path, `unexpected element type ${String(e.type)}`);
    }
  }

  options(options: unknown, path: string, limit: number) {
    if (options === undefined) return;
    if (!Array.isArray(options)) return this.add(path, 'not an array');
    if (options.length > limit) this.add(path, `${options.length} options, over ${limit}`);
    options.forEach((o, i) => {
      this.option(o as Json, `${path}[${i}]`);
    });
  }

  option(o: Json, path: string) {
    this.text(`${path}.text`, o.text, 75);
    this.max(`${path}.value`, o.value, 150);
    if (o.description !== undefined) this.text(`${path}.description`, o.description, 75);
  }

  confirm(c: Json, path: string) {
    this.plain(`${path}.title`, c.title, 100, true);
    this.text(`${path}.text`, c.text, 300);
    this.plain(`${path}.confirm`, c.confirm, 30, true);
    this.plain(`${path}.deny`, c.deny, 30, true);
  }
}

/** Every mrkdwn and plain text of a view, joined: for "the view says +N more" assertions. */
export function allText(view: unknown): string {
  const parts: string[] = [];
  const walk = (value: unknown) => {
    if (typeof value === 'string') parts.push(value);
    else if (Array.isArray(value)) value.forEach(walk);
    else if (value && typeof value === 'object') Object.values(value).forEach(walk);
  };
  walk(view);
  return parts.join('\n');
}
