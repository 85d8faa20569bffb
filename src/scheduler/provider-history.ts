import { param, sql } from 'drizzle-orm';
import { type Db, queryRows } from '../db/client.ts';
import { isProviderName, type ProviderName } from '../providers/types.ts';
import { FUNCTION_NAMES } from '../store/scheduler-runs.ts';
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

interface Row {
  run_date: string;
  provider: string;
  expected_units: number | null;
  succeeded_units: number | null;
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
  // The latest postcheck of each night, chosen as getNight chooses it; only its provider figures
  // are read out of the stored report (which can be large).
  const rows = await queryRows<Row>(
    db,
    sql`with latest as (
          select distinct on (left(run_key, 10)) left(run_key, 10) as run_date, result
          from scheduler_runs
          where function_name = ${FUNCTION_NAMES.postcheck} and status = 'completed' and result is not null
            and left(run_key, 10) = any(${param(nights)}::text[])
            and (length(run_key) = 10 or substr(run_key, 11, 1) = '/')
          order by left(run_key, 10), completed_at desc nulls last, id desc
        )
        select l.run_date, p->>'provider' as provider,
               (p->>'expectedUnits')::int as expected_units, (p->>'succeededUnits')::int as succeeded_units
        from latest l
        cross join lateral jsonb_array_elements(
          case when jsonb_typeof(l.result->'providers') = 'array' then l.result->'providers' else '[]'::jsonb end
        ) p
        order by l.run_date, provider`,
  );
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
