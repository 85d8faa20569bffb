import { sql } from 'drizzle-orm';
import { expectedUnitsCte } from '../coverage/coverage-query.ts';
import type { HealthReason } from '../coverage/types.ts';
import { type Db, queryOne } from '../db/client.ts';

/**
 * Why a fan-out of run_date has nothing to enqueue although eligible orgs have active prompts
 * (every provider disabled, or none their plans allow), or undefined when that is not the case:
 * no active prompt at all is a legitimately empty night, and expected units mean work exists.
 */
export async function nothingExpectedReason(db: Db, runDate: string): Promise<HealthReason | undefined> {
  const row = await queryOne<{ prompts: number; orgs: number; units: number; enabled: number }>(
    db,
    sql`with ${expectedUnitsCte(runDate)}
        select (select count(*)::int from ranked) as prompts,
               (select count(distinct org_id)::int from ranked) as orgs,
               (select count(*)::int from units) as units,
               (select count(*)::int from providers where enabled) as enabled`,
  );
  if (!row || row.prompts === 0 || row.units > 0) return undefined;
  const what = `${row.prompts} active prompt${row.prompts === 1 ? '' : 's'} of ${row.orgs} eligible org${row.orgs === 1 ? '' : 's'}`;
  return row.enabled === 0
    ? { code: 'no_provider_enabled', message: `no provider is enabled, so none of ${what} can run` }
    : {
        code: 'nothing_expected',
        message: `no enabled provider is allowed by their plans, so none of ${what} can run`,
      };
}
