import { Bits, Elements } from 'slack-block-builder';
import { z } from 'zod';
import { ACTION_PREFIXES } from './ids.ts';
import { jsonCodec } from './values.ts';

/**
 * The "Snooze" overflow on a report's provider and org lines. Each option's value names the
 * line's scope and the end: `{"p":"perplexity","e":"2h"}` or `{"o":"<org id>","e":"09:00"}`.
 * Values come back through a user's client: decodeSnoozeChoice checks them.
 */

const SNOOZE_END_VALUES = ['2h', '09:00', 'until-success'] as const;
type SnoozeEnd = (typeof SNOOZE_END_VALUES)[number];
const SNOOZE_LABELS: Record<SnoozeEnd, string> = {
  '2h': 'Snooze 2 h',
  '09:00': 'Snooze until 09:00',
  'until-success': 'Snooze until next success',
};
export const SNOOZE_ENDS = SNOOZE_END_VALUES.map((end) => ({ end, label: SNOOZE_LABELS[end] }));

export type SnoozeTarget = { provider: string } | { orgId: string };

export interface SnoozeChoice {
  target: SnoozeTarget;
  end: SnoozeEnd;
}

export function encodeSnoozeChoice(choice: SnoozeChoice): string {
  const scope = 'provider' in choice.target ? { p: choice.target.provider } : { o: choice.target.orgId };
  return snoozeValue.encode({ ...scope, e: choice.end });
}

// The values.ts codec: JSON out, JSON plus a strict zod schema back (one provider or one org).
const snoozeValue = jsonCodec(
  z.union([
    z.strictObject({ p: z.string().regex(/^[a-z]{1,20}$/), e: z.enum(SNOOZE_END_VALUES) }),
    z.strictObject({ o: z.uuid(), e: z.enum(SNOOZE_END_VALUES) }),
  ]),
);

export function decodeSnoozeChoice(value: string): SnoozeChoice | undefined {
  const decoded = snoozeValue.decode(value);
  if (!decoded) return undefined;
  return { target: 'p' in decoded ? { provider: decoded.p } : { orgId: decoded.o }, end: decoded.e };
}

/** One overflow per line; `key` keeps its action_id unique in the message. */
export function snoozeOverflow(key: string, target: SnoozeTarget) {
  return Elements.OverflowMenu({ actionId: `${ACTION_PREFIXES.snooze}${key}` }).options(
    SNOOZE_ENDS.map((s) => Bits.Option({ text: s.label, value: encodeSnoozeChoice({ target, end: s.end }) })),
  );
}
