import { usageError } from '../errors.ts';
import { parseRunDate, runDateOf } from '../scheduler/business-day.ts';

/** --date YYYY-MM-DD, or today's business day in the scheduling zone. */
export function runDateOption(value: string | undefined, now: Date, zone: string): string {
  if (value === undefined) return runDateOf(now, zone);
  const parsed = parseRunDate(value);
  if (!parsed) throw usageError(`--date must be a real calendar date as YYYY-MM-DD, not "${value}"`);
  return parsed;
}
