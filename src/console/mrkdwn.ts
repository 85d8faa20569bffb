/**
 * Pure: Slack mrkdwn and rich-text elements as plain terminal text. Slack's angle-bracket
 * tokens (links, mentions, date tokens) become what a reader would see in the client.
 */

const DATE_FORMATS: Record<string, Intl.DateTimeFormatOptions> = {
  date_num: { year: 'numeric', month: '2-digit', day: '2-digit' },
  date: { year: 'numeric', month: 'long', day: 'numeric' },
  date_short: { year: 'numeric', month: 'short', day: 'numeric' },
  date_long: { weekday: 'long', year: 'numeric', month: 'long', day: 'numeric' },
  date_pretty: { year: 'numeric', month: 'long', day: 'numeric' },
  date_short_pretty: { year: 'numeric', month: 'short', day: 'numeric' },
  date_long_pretty: { weekday: 'long', year: 'numeric', month: 'long', day: 'numeric' },
  // A terminal shows 24-hour times with their zone: "13:28 EST", never a bare "01:28 PM".
  time: { hour: '2-digit', minute: '2-digit', hourCycle: 'h23', timeZoneName: 'short' },
  time_secs: {
    hour: '2-digit',
    minute: '2-digit',
    second: '2-digit',
    hourCycle: 'h23',
    timeZoneName: 'short',
  },
};

export interface TextOptions {
  /** IANA zone for Slack date tokens: the console shows times where the reader is. */
  timeZone?: string;
  /** `*bold*`: kept as written (default), stripped to plain words, or bold on a terminal. */
  bold?: 'keep' | 'strip' | 'ansi';
}

// *bold* as Slack reads it: a word boundary outside the stars, no space just inside them.
const BOLD = /(^|[\s(>•])\*(?=\S)([^*\n]*?\S)\*(?=$|[\s).,:;!?<])/gm;

function emphasis(text: string, mode: TextOptions['bold']): string {
  if (!mode || mode === 'keep') return text;
  return text.replace(BOLD, (_, before: string, inner: string) =>
    mode === 'ansi' ? `${before}\u001b[1m${inner}\u001b[22m` : `${before}${inner}`,
  );
}

/** `<!date^1767225600^{date_short} at {time}|fallback>` as the client would show it. */
export function formatDateToken(epochSeconds: number, format: string, options: TextOptions = {}): string {
  const date = new Date(epochSeconds * 1000);
  if (Number.isNaN(date.getTime())) return format;
  return format.replace(/\{(\w+)\}/g, (whole, name: string) => {
    const spec = DATE_FORMATS[name];
    if (!spec) return whole;
    return new Intl.DateTimeFormat('en-US', { ...spec, timeZone: options.timeZone ?? 'UTC' }).format(date);
  });
}

function decodeEntities(text: string): string {
  return text.replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&amp;/g, '&');
}

function renderToken(token: string, options: TextOptions): string {
  const [target = '', label] = token.split('|', 2) as [string, string | undefined];
  if (target.startsWith('@')) return label ? `@${label}` : target;
  if (target.startsWith('#')) return label ? `#${label}` : target;
  if (target.startsWith('!subteam^')) return label ?? `@${target.slice('!subteam^'.length)}`;
  if (target.startsWith('!date^')) {
    const [, epoch = '', format = ''] = target.split('^');
    const seconds = Number(epoch);
    return Number.isFinite(seconds) ? formatDateToken(seconds, format, options) : (label ?? target);
  }
  if (target.startsWith('!')) return `@${target.slice(1)}`;
  return label && label !== target ? `${label} (${target})` : target;
}

/** mrkdwn -> text: tokens resolved, entities decoded, *bold* as options.bold says; _italics_ stay. */
export function mrkdwnToText(text: string, options: TextOptions = {}): string {
  const resolved = text.replace(/<([^<>]+)>/g, (_, token: string) => renderToken(token, options));
  return withEmoji(decodeEntities(emphasis(resolved, options.bold)));
}

/**
 * Slack shows `:hourglass_flowing_sand:` as the emoji in mrkdwn and in plain text alike; a
 * terminal would print the code. The codes a message may carry, as the characters they stand for;
 * an unknown code is left as written.
 */
const EMOJI: Record<string, string> = {
  hourglass_flowing_sand: '⏳',
  hourglass: '⌛',
  white_check_mark: '✅',
  heavy_check_mark: '✔️',
  warning: '⚠️',
  x: '❌',
  rotating_light: '🚨',
  fire: '🔥',
  wrench: '🔧',
  zzz: '💤',
  sleeping: '😴',
  alarm_clock: '⏰',
  bar_chart: '📊',
  chart_with_upwards_trend: '📈',
  moneybag: '💰',
  dollar: '💵',
  stopwatch: '⏱️',
  information_source: 'ℹ️',
  no_entry: '⛔',
  large_green_circle: '🟢',
  red_circle: '🔴',
  large_yellow_circle: '🟡',
};

export const withEmoji = (text: string) =>
  text.replace(/:([a-z0-9_+-]+):/g, (code, name: string) => EMOJI[name] ?? code);

/** A text object ({ type: 'mrkdwn' | 'plain_text', text }) or a bare string as text. */
export function textOf(value: unknown, options: TextOptions = {}): string {
  if (typeof value === 'string') return value;
  if (!value || typeof value !== 'object') return '';
  const object = value as { type?: string; text?: unknown };
  if (typeof object.text !== 'string') return '';
  return object.type === 'mrkdwn' ? mrkdwnToText(object.text, options) : withEmoji(object.text);
}

interface RichElement {
  type?: string;
  text?: string;
  url?: string;
  name?: string;
  user_id?: string;
  channel_id?: string;
  usergroup_id?: string;
  range?: string;
  timestamp?: number;
  format?: string;
  fallback?: string;
  style?: { code?: boolean };
}

/** One rich_text_section / quote / preformatted line of elements as text. */
export function richElementsToText(elements: unknown, options: TextOptions = {}): string {
  if (!Array.isArray(elements)) return '';
  return (elements as RichElement[])
    .map((e) => {
      switch (e.type) {
        case 'text':
          return e.style?.code ? `\`${e.text ?? ''}\`` : (e.text ?? '');
        case 'link':
          return e.text && e.text !== e.url ? `${e.text} (${e.url ?? ''})` : (e.url ?? '');
        case 'emoji':
          return `:${e.name ?? ''}:`;
        case 'user':
          return `@${e.user_id ?? ''}`;
        case 'channel':
          return `#${e.channel_id ?? ''}`;
        case 'usergroup':
          return `@${e.usergroup_id ?? ''}`;
        case 'broadcast':
          return `@${e.range ?? ''}`;
        case 'date':
          return e.timestamp === undefined
            ? (e.fallback ?? '')
            : formatDateToken(e.timestamp, e.format ?? '{date_short}', options);
        default:
          return e.text ?? '';
      }
    })
    .join('');
}
