import type { Deps } from '../context.ts';
import { estimateUsd, usdPerCall } from '../coverage/cost-math.ts';
import { nightCost, pricesOf } from '../coverage/night-cost.ts';
import { previewRerun } from '../scheduler/rerun.ts';
import { RERUN_SCOPES } from '../views/ids.ts';
import type { RerunCostPreview } from '../views/rerun-modal.ts';

/**
 * What the rerun modal shows before anything runs: the cost of 1,000 units per provider at the
 * night's average tokens per call and, once the org is known, each scope's units and estimate.
 */
export async function rerunCostPreview(
  deps: Pick<Deps, 'db' | 'config'>,
  runDate: string,
  orgId?: string,
): Promise<RerunCostPreview> {
  const cost = await nightCost(deps.db, runDate, pricesOf(deps.config.providers));
  const called = cost.providers.filter((p) => p.calls > 0);
  // A night without calls yet is priced at the documented default tokens per call.
  const perThousandUnits = (called.length > 0 ? called : cost.providers).map((p) => ({
    provider: p.provider,
    usd: usdPerCall(p) * 1000,
  }));
  if (!orgId) return { perThousandUnits };
  const previews = await Promise.all(
    RERUN_SCOPES.map((scope) => previewRerun(deps, { orgId, runDate, scope })),
  );
  const estimates = Object.fromEntries(
    previews.map((p) => [p.scope, { units: p.units, usd: estimateUsd(p.byProvider, cost) }]),
  );
  return { perThousandUnits, estimates };
}
