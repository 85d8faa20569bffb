import { DateTime } from 'luxon';
import type { Health, Ratio } from '../coverage/types.ts';

/** Pure text helpers shared by the views: escaping, truncation, Slack tokens, numbers. */

/** Slack's three control characters: user text can then neither mention anyone nor link. */
export function escapeMrkdwn(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/** Cuts to at most `max` characters (code points, so no emoji is split), marking the cut with "…". */
export function truncate(text: string, max: number): string {
  if (text.length <= max) return text;
  const chars = Array.from(text);
  if (chars.length <= max) return text;
  return `${chars.slice(0, Math.max(0, max - 1)).join('')}…`;
}

/**
 * User text for one line of mrkdwn: newlines folded, cut to `max` visible characters, escaped.
 * Cutting before escaping keeps "&amp;" whole.
 */
export function inlineText(text: string, max: number): string {
  return escapeMrkdwn(truncate(text.replace(/\s+/g, ' ').trim(), max));
}

/** Plain-text fields (headers, buttons, options) are not parsed for mentions: only cut them. */
export const plain = (text: string, max: number) => truncate(text.replace(/\s+/g, ' ').trim(), max);

const SLACK_USER_ID = /^[UW][A-Z0-9]{2,30}$/;

/**
 * Who ran something. Slack user ids (as `U123` or `slack:U123`) become mentions that Slack
 * renders as names; anything else (`cron`, `cli:alice`) is shown as escaped text.
 */
export function actorLabel(actor: string): string {
  const id = actor.startsWith('slack:') ? actor.slice('slack:'.length) : actor;
  return SLACK_USER_ID.test(id) ? `<@${id}>` : `\`${inlineText(actor, 60)}\``;
}

export const isSlackUserId = (value: string) => SLACK_USER_ID.test(value);

/**
 * A time every reader sees in their own zone: `<!date^unix^format|fallback>`. The fallback (for
 * clients that cannot render the token) is written in `zone`.
 */
export function slackDate(instant: Date, zone = 'UTC', format = '{date_short_pretty} {time}'): string {
  const unix = Math.floor(instant.getTime() / 1000);
  const fallback = DateTime.fromJSDate(instant, { zone }).toFormat('yyyy-MM-dd HH:mm ZZZZ');
  return `<!date^${unix}^${format}|${fallback}>`;
}

export const slackTime = (instant: Date, zone = 'UTC') => slackDate(instant, zone, '{time}');

/** A business day is a calendar date in the scheduling zone, not an instant: shown as written. */
export function runDateLabel(runDate: string): string {
  const date = DateTime.fromISO(runDate, { zone: 'UTC', locale: 'en-US' });
  return date.isValid ? date.toFormat('ccc, LLL d, yyyy') : runDate;
}

export function shortRunDateLabel(runDate: string): string {
  const date = DateTime.fromISO(runDate, { zone: 'UTC', locale: 'en-US' });
  return date.isValid ? date.toFormat('ccc LLL d') : runDate;
}

const numberFormat = new Intl.NumberFormat('en-US');
export const count = (n: number) => numberFormat.format(n);

/** "96.1% (240/245)"; nothing expected is "none expected", never "100% (0/0)". */
export const formatRatio = (r: Ratio) =>
  r.denominator === 0 ? 'none expected' : `${r.percent}% (${count(r.numerator)}/${count(r.denominator)})`;

/** "perplexity 120 · openai 41", largest first. */
export const formatByProvider = (byProvider: Record<string, number>) =>
  Object.entries(byProvider)
    .sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]))
    .map(([provider, n]) => `${provider} ${count(n)}`)
    .join(' · ');

export const plural = (n: number, one: string, many = `${one}s`) => `${count(n)} ${n === 1 ? one : many}`;

/** Change in percentage points: "▲ 2.3 pts", "▼ 0.4 pts", "= 0 pts". */
export function formatDelta(current: number, previous: number): string {
  const delta = Math.round((current - previous) * 10) / 10;
  if (delta > 0) return `▲ ${delta} pts`;
  if (delta < 0) return `▼ ${Math.abs(delta)} pts`;
  return '= 0 pts';
}

/** A recorded night that was healthy with nothing expected: it had nothing to run (never "100% (0/0)"). */
export const hadNothingToRun = (health: Health | null, prompts: Ratio | null) =>
  health === 'HEALTHY' && prompts !== null && prompts.denominator === 0;

export const HEALTH_EMOJI: Record<Health, string> = { HEALTHY: '✅', NEEDS_ATTENTION: '⚠️' };

export function healthLabel(health: Health | null): string {
  if (health === null) return '▫️ no check recorded';
  return `${HEALTH_EMOJI[health]} ${health === 'HEALTHY' ? 'Healthy' : 'Needs attention'}`;
}

/** "1h 12m", "45m", "30s": elapsed times and ETAs, everywhere (Slack, CLI, console). */
export function formatDuration(ms: number): string {
  if (!Number.isFinite(ms)) return '?';
  const seconds = Math.max(0, Math.round(ms / 1000));
  if (seconds < 60) return `${seconds}s`;
  const minutes = Math.round(seconds / 60);
  if (minutes < 60) return `${minutes}m`;
  const hours = Math.floor(minutes / 60);
  const rest = minutes % 60;
  return rest === 0 ? `${hours}h` : `${hours}h ${rest}m`;
}

/** "▓▓▓▓░░░░░░" */
export function progressBar(done: number, total: number, width = 10): string {
  const filled = total <= 0 ? width : Math.min(width, Math.floor((done / total) * width));
  return `${'▓'.repeat(filled)}${'░'.repeat(width - filled)}`;
}

/** Share of total as a display percent with one decimal; nothing to do counts as done. */
export const percent = (done: number, total: number) =>
  total <= 0 ? 100 : Math.floor((done / total) * 1000) / 10;

/**
 * Packs lines into texts of at most `max` characters each (a section's limit is 3,000), never
 * splitting a line; a single line longer than `max` is cut (callers keep lines short).
 */
export function packLines(lines: string[], max = 3000): string[] {
  const texts: string[] = [];
  let current = '';
  for (const raw of lines) {
    const line = raw.length > max ? truncate(raw, max) : raw;
    if (current === '') current = line;
    else if (current.length + 1 + line.length <= max) current = `${current}\n${line}`;
    else {
      texts.push(current);
      current = line;
    }
  }
  if (current !== '') texts.push(current);
  return texts;
}
