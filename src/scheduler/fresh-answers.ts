import { type SQL, sql } from 'drizzle-orm';
import type { Deps } from '../context.ts';
import { estimateRunUsd, pricesOf } from '../coverage/night-cost.ts';
import { type Db, queryOne } from '../db/client.ts';
import { SchedError } from '../errors.ts';
import { previewEnqueue } from '../queue/enqueue-units.ts';
import { runAskedForAll } from '../store/scheduler-runs.ts';

/**
 * Fresh answers: a manual run, an `--all` rerun and the "every unit" repair ask every unit again,
 * so a unit may then have several successes (coverage counts it once; its newest success is its
 * answer). Anywhere else a second success is a bug the audit reports. A job asked for them when
 * its metadata says `freshAnswers`, it is a manual run, or (jobs written before the flag) its run
 * row's scope is `all`.
 */
export const freshJob = (job: SQL) =>
  sql`(${job}.source <> 'nightly' and coalesce((${job}.metadata->>'freshAnswers')::boolean, false) or ${job}.source = 'manual'
       or ${runAskedForAll(sql`(${job}.metadata->>'runId')::bigint`)})`;

export interface FreshAnswersJob {
  source: string;
  triggeredBy: string;
  createdAt: string;
  tasks: number;
}

/** The night's first run that asked for fresh answers (of `orgId` when given), if any. */
export async function firstFreshAnswers(
  db: Db,
  params: { runDate: string; orgId?: string | undefined },
): Promise<FreshAnswersJob | undefined> {
  const org = params.orgId ? sql`and j.org_id = ${params.orgId}::uuid` : sql``;
  return queryOne<FreshAnswersJob>(
    db,
    sql`select j.source, j.triggered_by as "triggeredBy",
               to_char(min(j.created_at) at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"') as "createdAt",
               sum(j.total_tasks)::int as tasks
        from batch_jobs j
        where j.run_date = ${params.runDate}::date ${org} and ${freshJob(sql`j`)}
        group by j.source, j.triggered_by, j.created_at
        order by j.created_at limit 1`,
  );
}

/**
 * A second fresh-answers run of a night costs a whole night's calls again: it needs a person's
 * confirmation. Refuses (conflict) naming the first run and what this one would cost.
 */
export async function assertFreshAnswersConfirmed(
  deps: Pick<Deps, 'db' | 'config'>,
  params: {
    runDate: string;
    orgId?: string | undefined;
    provider?: string | undefined;
    confirmed: boolean | undefined;
    /** How to confirm, in the caller's words: "add --confirm". */
    howToConfirm: string;
  },
): Promise<void> {
  if (params.confirmed) return;
  const first = await firstFreshAnswers(deps.db, params);
  if (!first) return;
  const { runDate, orgId, provider } = params;
  const preview = await previewEnqueue(deps.db, {
    runDate,
    scope: 'all',
    orgIds: orgId ? [orgId] : undefined,
    provider,
  });
  const usd = await estimateRunUsd(deps.db, {
    runDate,
    byProvider: preview.byProvider,
    prices: pricesOf(deps.config.providers),
  });
  // "a manual run of every unit", "a rerun of every unit": the job's source, read as a noun.
  const what = first.source === 'manual' ? 'manual run' : first.source;
  throw new SchedError(
    'conflict',
    `${runDate} already had fresh answers: a ${what} of every unit by ${first.triggeredBy} at ${first.createdAt} (${first.tasks} units). Asking again runs ${preview.units} units once more (about $${usd.toFixed(2)}) and stores a second new answer for each; ${params.howToConfirm} to run it anyway.`,
    { first, units: preview.units, estimatedUsd: usd },
  );
}
