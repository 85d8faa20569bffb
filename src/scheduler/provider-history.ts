import type { Db } from '../db/client.ts';
import { isProviderName, type ProviderName } from '../providers/types.ts';
import { postcheckProviderFigures } from '../store/scheduler-run-history.ts';
import { addDays, runDateOf } from '../time/business-day.ts';

/**
 * Coverage per provider and night, as the nights' postchecks recorded it: the `providers` figures
 * (expected and succeeded units) of each night's latest completed postcheck, the same report
 * history and the morning report show. Read from the record rather than measured again: a night's
 * expected units are those of that night, not of today's prompts and plans.
 */

export interface ProviderNight {
  runDate: string;
  provider: ProviderName;
  expectedUnits: number;
  succeededUnits: number;
}

export interface ProviderNights {
  /** The `days` nights ending today (in `timezone`), oldest first, with or without figures. */
  nights: string[];
  coverage: ProviderNight[];
}

export async function listProviderNights(
  db: Db,
  query: { days: number; now: Date; timezone: string },
): Promise<ProviderNights> {
  const today = runDateOf(query.now, query.timezone);
  const nights = Array.from({ length: Math.max(0, query.days) }, (_, i) =>
    addDays(today, i - query.days + 1),
  );
  if (nights.length === 0) return { nights, coverage: [] };
  const rows = await postcheckProviderFigures(db, nights);
  const coverage = rows.flatMap((r): ProviderNight[] =>
    isProviderName(r.provider)
      ? [
          {
            runDate: r.run_date,
            provider: r.provider,
            expectedUnits: Number(r.expected_units ?? 0),
            succeededUnits: Number(r.succeeded_units ?? 0),
          },
        ]
      : [],
  );
  return { nights, coverage };
}
