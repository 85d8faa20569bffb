import { RERUN_SCOPES } from '../blocks/ids.ts';
import type { RerunCostPreview, ScopeEstimate } from '../blocks/rerun-modal.ts';
import type { Deps } from '../context.ts';
import { estimateUsd, type NightCost, usdPerCall } from '../coverage/cost-math.ts';
import { nightCost, pricesOf } from '../coverage/night-cost.ts';
import { previewRerun } from '../scheduler/rerun.ts';

/**
 * What the rerun modal shows before anything runs: the cost of 1,000 units per provider at the
 * night's average tokens per call and, once the org is known, each scope's units and estimate,
 * in all and per provider (the modal's provider select narrows any scope to one of them).
 */
export async function rerunCostPreview(
  deps: Pick<Deps, 'db' | 'config'>,
  params: { runDate: string; orgId?: string | undefined },
): Promise<RerunCostPreview> {
  const { runDate, orgId } = params;
  const cost = await nightCost(deps.db, { runDate, prices: pricesOf(deps.config.providers) });
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
  const estimates = Object.fromEntries(previews.map((p) => [p.scope, scopeEstimate(p, cost)]));
  return { perThousandUnits, estimates };
}

function scopeEstimate(
  preview: { units: number; byProvider: Record<string, number> },
  cost: NightCost,
): ScopeEstimate {
  const byProvider = Object.entries(preview.byProvider)
    .filter(([, units]) => units > 0)
    .sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]))
    .map(([provider, units]) => ({ provider, units, usd: estimateUsd({ [provider]: units }, cost) }));
  return { units: preview.units, usd: estimateUsd(preview.byProvider, cost), byProvider };
}
