import type { Deps } from '../context.ts';
import { estimateRunUsd, pricesOf } from '../coverage/night-cost.ts';
import { notFound } from '../errors.ts';
import { type Org, orgById } from '../orgs/find-org.ts';
import { type EnqueuePreview, previewEnqueue } from '../queue/enqueue-units.ts';
import { assertKnownProvider, type UnitScope } from '../queue/run-scope.ts';
import { FUNCTION_NAMES } from '../store/scheduler-runs.ts';
import { assertFreshAnswersConfirmed } from './fresh-answers.ts';
import { type AdHocFanOutResult, runAdHocFanOut } from './recorded-enqueue.ts';
import { assertRunDateAllowed } from './run-date-guard.ts';

/**
 * Rerun of one org for a run_date: its missing units, its failed units only, or every expected
 * unit again; of every provider or of one (run-scope.ts). Units
 * that already have a live task are left alone, so a rerun during the night or a double click
 * adds nothing twice.
 */

export interface RerunParams {
  orgId: string;
  runDate: string;
  scope: UnitScope;
  /** Only this provider's units; every provider when absent. */
  provider?: string | undefined;
}

export interface RerunResult extends AdHocFanOutResult {
  org: Org;
  /** Why nothing could be enqueued, when the org has no expected unit at all. */
  notEligible: string | undefined;
  /** What the enqueued units should cost, at the night's average tokens per call (cost-math.ts). */
  estimatedUsd: number;
  provider: string | undefined;
}

export async function rerunOrg(
  deps: Pick<Deps, 'db' | 'config' | 'clock'>,
  params: RerunParams & { triggeredBy: string; confirmFresh?: boolean | undefined },
): Promise<RerunResult> {
  await assertRunDateAllowed(deps, { runDate: params.runDate, purpose: 'rerun' });
  assertKnownProvider(params.provider);
  const org = await existingOrg(deps, params.orgId);
  if (params.scope === 'all') {
    await assertFreshAnswersConfirmed(deps, {
      runDate: params.runDate,
      orgId: org.id,
      provider: params.provider,
      confirmed: params.confirmFresh,
      howToConfirm: 'add --confirm',
    });
  }
  const result = await runAdHocFanOut(deps, {
    functionName: FUNCTION_NAMES.rerun,
    label: `rerun-${org.slug}`,
    triggeredBy: params.triggeredBy,
    request: {
      runDate: params.runDate,
      source: 'rerun',
      scope: params.scope,
      orgIds: [org.id],
      provider: params.provider,
      triggeredBy: params.triggeredBy,
    },
    extra: { org: org.name, ...(params.provider ? { provider: params.provider } : {}) },
  });
  const prices = pricesOf(deps.config.providers);
  const estimatedUsd = await estimateRunUsd(deps.db, {
    runDate: params.runDate,
    byProvider: result.byProvider,
    prices,
  });
  return { ...result, org, provider: params.provider, notEligible: ineligibility(org), estimatedUsd };
}

export interface RerunPreview extends EnqueuePreview {
  org: Org;
  runDate: string;
  scope: UnitScope;
  provider: string | undefined;
  notEligible: string | undefined;
}

/** What a rerun would enqueue now, for the modal and the confirm step. */
export async function previewRerun(deps: Pick<Deps, 'db'>, params: RerunParams): Promise<RerunPreview> {
  assertKnownProvider(params.provider);
  const org = await existingOrg(deps, params.orgId);
  const preview = await previewEnqueue(deps.db, {
    runDate: params.runDate,
    scope: params.scope,
    orgIds: [org.id],
    provider: params.provider,
  });
  return {
    ...preview,
    org,
    runDate: params.runDate,
    scope: params.scope,
    provider: params.provider,
    notEligible: ineligibility(org),
  };
}

/** One sentence for an org the nightly run skips on purpose. */
export function ineligibility(org: Org): string | undefined {
  if (!org.active) return `${org.name} is switched off (inactive), so it has no prompts to run`;
  if (org.subscriptionStatus !== 'active' && org.subscriptionStatus !== 'trialing') {
    return `${org.name}'s subscription is ${org.subscriptionStatus}, so it has no prompts to run`;
  }
  return undefined;
}

async function existingOrg(deps: Pick<Deps, 'db'>, orgId: string): Promise<Org> {
  const org = await orgById(deps.db, orgId);
  if (!org) throw notFound(`No organization has the id "${orgId.slice(0, 100)}"`);
  return org;
}
