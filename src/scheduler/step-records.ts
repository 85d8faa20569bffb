import { sql } from 'drizzle-orm';
import { type Db, queryOne } from '../db/client.ts';
import { FUNCTION_NAMES } from '../store/scheduler-runs.ts';

/**
 * What the night's trigger and postcheck recorded, whichever entry point ran them: the scheduler
 * (run key = run_date), the CLI, HTTP or the console's `night` (ad-hoc keys `run_date/...`). The
 * best row of each step counts: completed, else running, else the latest other.
 */
export interface RecordedSteps {
  trigger: string | null;
  postcheck: string | null;
  /** overallHealth of the latest completed postcheck. */
  postcheckHealth: string | null;
}

export async function recordedSteps(db: Db, runDate: string): Promise<RecordedSteps> {
  const best = (name: string, field: string) => sql`(
    select ${sql.raw(field)} from scheduler_runs
    where function_name = ${name} and (run_key = ${runDate} or run_key like ${`${runDate}/%`})
    order by case status when 'completed' then 0 when 'running' then 1 else 2 end,
             coalesce(completed_at, started_at) desc, id desc
    limit 1)`;
  const row = await queryOne<RecordedSteps>(
    db,
    sql`select ${best(FUNCTION_NAMES.trigger, 'status')} as trigger,
               ${best(FUNCTION_NAMES.postcheck, 'status')} as postcheck,
               ${best(FUNCTION_NAMES.postcheck, "result->'summary'->>'overallHealth'")} as "postcheckHealth"`,
  );
  return row ?? { trigger: null, postcheck: null, postcheckHealth: null };
}

/** When this database was first set up (its migration wrote it): nothing before it is owed. */
export async function installedAt(db: Db): Promise<Date> {
  const row = await queryOne<{ at: string | Date }>(db, sql`select installed_at as at from installation`);
  return row ? new Date(row.at) : new Date(0);
}
