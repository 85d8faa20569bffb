import { DateTime } from 'luxon';

/**
 * Pure: when a snooze ends, from what a person typed. `2h`, `90m`, `1d` (also `1h30m`) from now;
 * `06:00` the next time the clock in `zone` shows it (today, or tomorrow once it has passed);
 * an ISO time (`2026-03-09T06:00`, in `zone` unless it carries an offset); `until-success`.
 */

export const MAX_SNOOZE_DAYS = 30;

export type SnoozeEnd =
  | { kind: 'at'; endsAt: Date }
  | { kind: 'success' }
  | { kind: 'invalid'; sentence: string };

const DURATION = /^(?:(\d{1,4})d)?(?:(\d{1,4})h)?(?:(\d{1,5})m)?$/i;
const CLOCK = /^([01]?\d|2[0-3]):([0-5]\d)$/;

export function parseDuration(text: string): number | undefined {
  const match = DURATION.exec(text.trim());
  if (!match || text.trim() === '') return undefined;
  const [, d, h, m] = match;
  const minutes = Number(d ?? 0) * 1440 + Number(h ?? 0) * 60 + Number(m ?? 0);
  return minutes > 0 ? minutes * 60_000 : undefined;
}

/** An ISO instant, read in `zone` when it has no offset; undefined when it is not one. */
export function parseInstant(text: string, zone: string): Date | undefined {
  const parsed = DateTime.fromISO(text.trim(), { zone });
  return parsed.isValid ? parsed.toJSDate() : undefined;
}

export function parseSnoozeEnd(text: string, now: Date, zone: string, startsAt: Date = now): SnoozeEnd {
  const value = text.trim();
  if (/^until[- ]?(next[- ]?)?success$/i.test(value)) return { kind: 'success' };
  const duration = parseDuration(value);
  let endsAt: Date | undefined;
  if (duration !== undefined) endsAt = new Date(startsAt.getTime() + duration);
  else if (CLOCK.test(value)) endsAt = nextClockTime(value, startsAt, zone);
  else endsAt = parseInstant(value, zone);
  if (!endsAt) {
    return {
      kind: 'invalid',
      sentence: `“${value.slice(0, 40)}” is not a duration or a time; give one such as 2h, 90m, 1d, 06:00 or 2026-03-09T06:00.`,
    };
  }
  return checkEnd(endsAt, now, startsAt);
}

/** An end must come after the start (and after now) and within MAX_SNOOZE_DAYS of the start. */
export function checkEnd(endsAt: Date, now: Date, startsAt: Date): SnoozeEnd {
  if (endsAt.getTime() <= Math.max(now.getTime(), startsAt.getTime())) {
    return { kind: 'invalid', sentence: 'That time has already passed; give an end in the future.' };
  }
  if (endsAt.getTime() - startsAt.getTime() > MAX_SNOOZE_DAYS * 86_400_000) {
    return {
      kind: 'invalid',
      sentence: `A snooze lasts at most ${MAX_SNOOZE_DAYS} days; give a shorter one.`,
    };
  }
  return { kind: 'at', endsAt };
}

/** The next instant after `from` at which the clock in `zone` shows HH:MM (DST-aware). */
export function nextClockTime(hhmm: string, from: Date, zone: string): Date {
  const [hour, minute] = hhmm.split(':').map(Number) as [number, number];
  const local = DateTime.fromJSDate(from, { zone });
  let candidate = local.set({ hour, minute, second: 0, millisecond: 0 });
  if (candidate <= local) candidate = candidate.plus({ days: 1 }).set({ hour, minute });
  return candidate.toJSDate();
}
