import type { ScopePreview } from '../blocks/repair-modal.ts';
import type { Deps } from '../context.ts';
import { estimateUsd } from '../coverage/cost-math.ts';
import { nightCost, pricesOf } from '../coverage/night-cost.ts';
import { UNIT_SCOPES, type UnitScope } from '../queue/run-scope.ts';
import { previewRepair } from '../scheduler/repair.ts';

/** What each repair scope would enqueue now, priced at the night's average tokens per call. */
export async function repairScopePreviews(
  deps: Pick<Deps, 'db' | 'config' | 'clock'>,
  params: { runDate: string },
): Promise<Record<UnitScope, ScopePreview>> {
  const { runDate } = params;
  const [cost, ...previews] = await Promise.all([
    nightCost(deps.db, { runDate, prices: pricesOf(deps.config.providers) }),
    ...UNIT_SCOPES.map((units) => previewRepair(deps, { runDate, scope: { units } })),
  ]);
  const entries = previews.map((p) => [
    p.scope.units,
    { units: p.units, orgs: p.orgs, byProvider: p.byProvider, usd: estimateUsd(p.byProvider, cost) },
  ]);
  return Object.fromEntries(entries) as Record<UnitScope, ScopePreview>;
}
