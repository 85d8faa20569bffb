import type { Deps } from '../context.ts';
import { type EnqueueResult, enqueueUnits, previewEnqueue } from './enqueue-units.ts';
import { adHocRunKey, FUNCTION_NAMES, recordRun } from './scheduler-runs.ts';

/** Repair: enqueue exactly the missing units of a run_date (not whole orgs). Idempotent. */
export async function repairMissing(
  deps: Pick<Deps, 'db' | 'config' | 'clock'>,
  params: { runDate: string; triggeredBy: string },
): Promise<EnqueueResult> {
  const outcome = await recordRun(
    deps.db,
    {
      functionName: FUNCTION_NAMES.repair,
      runKey: adHocRunKey(params.runDate, deps.clock(), 'repair'),
      triggeredBy: params.triggeredBy,
      now: deps.clock,
    },
    () =>
      enqueueUnits(deps.db, {
        runDate: params.runDate,
        source: 'repair',
        triggeredBy: params.triggeredBy,
        scope: 'missing',
        maxAttempts: deps.config.worker.maxAttempts,
        now: deps.clock(),
      }),
  );
  if (!outcome.ran) throw new Error('repair run key collided; try again');
  return outcome.result;
}

/** What a repair would enqueue now: the confirm dialog shows it before anything is written. */
export const previewRepair = (deps: Pick<Deps, 'db'>, runDate: string) =>
  previewEnqueue(deps.db, { runDate, scope: 'missing' });
