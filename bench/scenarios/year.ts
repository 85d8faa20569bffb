import { sql } from 'drizzle-orm';
import { queryOne } from '../../src/db/client.ts';
import { measureCoverage, runPostcheck } from '../../src/scheduler/postcheck.ts';
import { runRetention } from '../../src/scheduler/retention.ts';
import type { BenchContext, Scenario } from '../context.ts';
import { benchEnv, daysBefore, openPostgresBench, PROMPTS_PER_ORG, seedUnits } from '../databases.ts';
import { writeNight } from '../history.ts';
import { fmt, interleave, median, timed } from '../measure.ts';

/**
 * A year of nights on PostgreSQL, each in its own partitions: last night's postcheck and
 * `status` against a plain aggregate of its counts, the size on disk a night keeps, and the time
 * retention takes to remove one night (its task partition dropped, its jobs deleted). The
 * live-night /sched-status at 40,000 and 400,000 units is not measured here: it waits on the
 * live-night counters, not built yet.
 */

const QUERY_GOAL_MS = 200;
const RETENTION_GOAL_MS = 1_000;

const plainCounts = (runDate: string) => sql`
  select 'tasks' as what, org_id, provider, status, count(*) as n
  from batch_tasks where run_date = ${runDate}::date group by org_id, provider, status
  union all
  select 'success', org_id, provider, status, count(*)
  from prompt_provider_responses where run_date = ${runDate}::date and status = 'success'
  group by org_id, provider, status`;

export const year: Scenario = {
  name: 'year',
  summary:
    'a year of nights in partitions: postcheck and status, size on disk per night, retention of one night',
  async run(ctx: BenchContext) {
    const { orgs, nights, runs } = ctx.sizes.year;
    const bench = await openPostgresBench('year', benchEnv());
    try {
      const { prompts } = await seedUnits(bench.db, orgs * PROMPTS_PER_ORG * 4);
      const units = prompts * 4;
      const { ms: writeMs } = await timed(async () => {
        for (let night = nights; night >= 1; night--) {
          if (night % 30 === 0 || night === nights)
            ctx.log(`year: night ${nights - night + 1} of ${nights}, ${fmt.count(units)} units a night`);
          await writeNight(bench, daysBefore(bench.config, night));
        }
        for (const table of ['batch_jobs', 'batch_tasks', 'prompt_provider_responses', 'scheduler_runs'])
          await bench.db.execute(sql.raw(`vacuum analyze ${table}`));
      });
      ctx.log(`year: ${nights} nights written in ${fmt.duration(writeMs)}`);
      const lastNight = daysBefore(bench.config, 1);
      const clock = () => new Date();
      const deps = { db: bench.db, config: bench.config, clock };
      const times = await interleave(runs, {
        postcheck: async () =>
          (await timed(() => runPostcheck(deps, { runDate: lastNight, triggeredBy: 'bench' }))).ms,
        status: async () => (await timed(() => measureCoverage(deps, { runDate: lastNight }))).ms,
        reference: async () => (await timed(() => bench.db.execute(plainCounts(lastNight)))).ms,
      });
      const reference = median(times.reference);
      for (const what of ['postcheck', 'status'] as const) {
        const product = median(times[what]);
        ctx.emit({
          scenario: 'year',
          backend: 'postgres',
          case: `${what}, last night of ${nights}, ${fmt.count(units)} units a night`,
          product: fmt.duration(product),
          productValue: product,
          reference: `plain aggregate ${fmt.duration(reference)}`,
          referenceValue: reference,
          ratio: product / reference,
          ratioMeaning: `${what}: its time / a plain hash aggregate of the night's counts (lower is better)`,
          goal: `< ${QUERY_GOAL_MS} ms`,
          met: product < QUERY_GOAL_MS,
          note: `median of ${times[what].length}`,
          samples: { product: times[what], reference: times.reference },
        });
      }

      const size = await queryOne<{ tasks: number; responses: number; jobs: number; total: number }>(
        bench.db,
        sql`select pg_total_relation_size(${`batch_tasks_p${lastNight.replaceAll('-', '')}`}::regclass)::float8 as tasks,
                   pg_total_relation_size(${`prompt_provider_responses_p${lastNight.replaceAll('-', '')}`}::regclass)::float8 as responses,
                   pg_total_relation_size('batch_jobs')::float8 / ${nights} as jobs,
                   pg_database_size(current_database())::float8 as total`,
      );
      const mib = (bytes: number) => `${(bytes / 2 ** 20).toFixed(1)} MiB`;
      const perNight = (size?.tasks ?? 0) + (size?.responses ?? 0) + (size?.jobs ?? 0);
      ctx.emit({
        scenario: 'year',
        backend: 'postgres',
        case: `size on disk per night, ${fmt.count(units)} units`,
        product: mib(perNight),
        productValue: perNight,
        note:
          `tasks ${mib(size?.tasks ?? 0)} (retention removes), responses ${mib(size?.responses ?? 0)} ` +
          `(kept unless RESPONSE_RETENTION_DAYS), jobs ${mib(size?.jobs ?? 0)}; database ${mib(size?.total ?? 0)} ` +
          `for ${nights} nights`,
      });

      // The oldest night gets its postcheck recorded, then a window that leaves it alone outside.
      const oldest = daysBefore(bench.config, nights);
      await runPostcheck(deps, { runDate: oldest, triggeredBy: 'bench', scheduled: true });
      const retentionDeps = {
        ...deps,
        config: { ...bench.config, queueRetentionDays: nights - 1 },
        logger: bench.deps.logger,
      };
      const { ms, result } = await timed(() => runRetention(retentionDeps, { dryRun: false }));
      const pruned = result.pruned.find((p) => p.runDate === oldest);
      ctx.emit({
        scenario: 'year',
        backend: 'postgres',
        case: `retention of one night, ${fmt.count(units)} units, ${nights} nights kept`,
        product: fmt.duration(ms),
        productValue: ms,
        goal: `< ${RETENTION_GOAL_MS} ms`,
        met: ms < RETENTION_GOAL_MS && pruned !== undefined,
        note: pruned
          ? `removed ${fmt.count(pruned.tasks)} tasks and ${fmt.count(pruned.jobs)} jobs (one run, the nights' candidates read included)`
          : `nothing pruned: ${JSON.stringify(result.failed)}`,
      });
    } finally {
      await bench.close();
    }
  },
};
