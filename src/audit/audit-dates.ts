import { usageError } from '../errors.ts';
import { addDays, parseRunDate, runDateOf } from '../time/business-day.ts';

export const MAX_AUDIT_DAYS = 90;

/**
 * Which nights to audit: `--date D` (one night), `--days N` (the last N business days, today
 * first), or today. Both at once, or a bad value, is a usage error (exit 2).
 */
export function auditRunDates(
  options: { date?: string | undefined; days?: string | undefined },
  now: Date,
  zone: string,
): string[] {
  if (options.date !== undefined && options.days !== undefined)
    throw usageError('give --date or --days, not both');
  const today = runDateOf(now, zone);
  if (options.date !== undefined) {
    const runDate = parseRunDate(options.date);
    if (!runDate)
      throw usageError(
        `--date must be a real calendar date as YYYY-MM-DD, not "${options.date.slice(0, 40)}"`,
      );
    if (runDate > today)
      throw usageError(`${runDate} has not happened yet: today's business day is ${today}`);
    return [runDate];
  }
  if (options.days !== undefined) {
    const days = /^\d{1,3}$/.test(options.days) ? Number(options.days) : Number.NaN;
    if (!(days >= 1 && days <= MAX_AUDIT_DAYS))
      throw usageError(
        `--days must be a whole number from 1 to ${MAX_AUDIT_DAYS}, not "${options.days.slice(0, 40)}"`,
      );
    return Array.from({ length: days }, (_, i) => addDays(today, -i));
  }
  return [today];
}
