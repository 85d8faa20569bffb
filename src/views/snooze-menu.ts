import { Bits, Elements } from 'slack-block-builder';
import { ACTION_PREFIXES } from './ids.ts';

/**
 * The "Snooze" overflow on a report's provider and org lines. Each option's value names the
 * line's scope and the end: `{"p":"perplexity","e":"2h"}` or `{"o":"<org id>","e":"09:00"}`.
 * Values come back through a user's client: decodeSnoozeChoice checks them.
 */

export const SNOOZE_ENDS = [
  { end: '2h', label: 'Snooze 2 h' },
  { end: '09:00', label: 'Snooze until 09:00' },
  { end: 'until-success', label: 'Snooze until next success' },
] as const;

export type SnoozeTarget = { provider: string } | { orgId: string };

export interface SnoozeChoice {
  target: SnoozeTarget;
  end: (typeof SNOOZE_ENDS)[number]['end'];
}

export function encodeSnoozeChoice(choice: SnoozeChoice): string {
  const scope = 'provider' in choice.target ? { p: choice.target.provider } : { o: choice.target.orgId };
  return JSON.stringify({ ...scope, e: choice.end });
}

export function decodeSnoozeChoice(value: string): SnoozeChoice | undefined {
  try {
    const parsed = JSON.parse(value) as { p?: unknown; o?: unknown; e?: unknown };
    const end = SNOOZE_ENDS.find((s) => s.end === parsed.e)?.end;
    if (!end) return undefined;
    if (typeof parsed.p === 'string' && /^[a-z]{1,20}$/.test(parsed.p))
      return { target: { provider: parsed.p }, end };
    if (typeof parsed.o === 'string' && /^[0-9a-f-]{36}$/i.test(parsed.o))
      return { target: { orgId: parsed.o }, end };
    return undefined;
  } catch {
    return undefined;
  }
}

/** One overflow per line; `key` keeps its action_id unique in the message. */
export function snoozeOverflow(key: string, target: SnoozeTarget) {
  return Elements.OverflowMenu({ actionId: `${ACTION_PREFIXES.snooze}${key}` }).options(
    SNOOZE_ENDS.map((s) => Bits.Option({ text: s.label, value: encodeSnoozeChoice({ target, end: s.end }) })),
  );
}
