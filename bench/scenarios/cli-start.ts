import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runTrigger } from '../../src/scheduler/trigger.ts';
import type { BenchContext, Scenario } from '../context.ts';
import {
  type BenchDb,
  benchEnv,
  daysBefore,
  openPgliteBench,
  openPostgresBench,
  seedUnits,
} from '../databases.ts';
import { fmt, interleave, median } from '../measure.ts';
import { runOk, runSched } from '../processes.ts';

/**
 * How long the installed `sched` command takes from spawn to exit: `--help` (no database) and
 * `status` (connect, read a small night) on PostgreSQL and on an embedded PGlite directory,
 * each beside starting Node itself (`node -e ""`), the floor any Node CLI stands on.
 */

const SMALL_NIGHT = 2_000;

async function measure(
  ctx: BenchContext,
  backend: BenchDb['kind'] | '-',
  label: string,
  args: string[],
  env: Record<string, string>,
): Promise<void> {
  const times = await interleave(ctx.sizes.cliStart.runs, {
    product: async () => (await runSched(args, env)).ms,
    reference: async () => (await runOk(process.execPath, ['-e', ''], {})).ms,
  });
  const product = median(times.product);
  const reference = median(times.reference);
  ctx.emit({
    scenario: 'cli-start',
    backend,
    case: label,
    product: fmt.duration(product),
    productValue: product,
    reference: `node -e "" ${fmt.duration(reference)}`,
    referenceValue: reference,
    ratio: product / reference,
    ratioMeaning: 'cli-start: sched command, spawn to exit / bare Node start-up (lower is better)',
    note: `median of ${times.product.length}`,
    samples: times,
  });
}

/** A database with one small night for `status` to read; closed again so the command can open it. */
async function smallNight(bench: BenchDb): Promise<void> {
  try {
    await seedUnits(bench.db, SMALL_NIGHT);
    await runTrigger(bench.deps, {
      runDate: daysBefore(bench.config, 0),
      triggeredBy: 'bench',
      scheduled: false,
    });
  } finally {
    await bench.database.close();
  }
}

export const cliStart: Scenario = {
  name: 'cli-start',
  summary: '`sched --help` and `sched status` from spawn to exit, against bare Node start-up',
  async run(ctx) {
    const env = benchEnv();
    await measure(ctx, '-', 'sched --help', ['--help'], env);

    const server = await openPostgresBench('cli_start');
    try {
      await smallNight(server);
      const label = `sched status, ${fmt.count(SMALL_NIGHT)} tasks tonight`;
      await measure(ctx, 'postgres', label, ['status'], { ...env, DATABASE_URL: server.url ?? '' });
    } finally {
      await server.close();
    }

    const dir = await mkdtemp(join(tmpdir(), 'sched-bench-'));
    try {
      await smallNight(await openPgliteBench(env, join(dir, 'pglite')));
      const label = `sched status, ${fmt.count(SMALL_NIGHT)} tasks tonight`;
      await measure(ctx, 'pglite', label, ['status'], { ...env, PGLITE_DIR: join(dir, 'pglite') });
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  },
};
