import type { Deps } from '../context.ts';
import { estimateRunUsd, pricesOf } from '../coverage/night-cost.ts';
import { notFound } from '../errors.ts';
import { type Org, orgById } from '../orgs/find-org.ts';
import { type EnqueuePreview, previewEnqueue } from './enqueue-units.ts';
import { type AdHocFanOutResult, runAdHocFanOut } from './recorded-enqueue.ts';
import { assertRunDateAllowed } from './run-date-guard.ts';
import { FUNCTION_NAMES } from './scheduler-runs.ts';

/**
 * Rerun of one org for a run_date: only its missing units, or every expected unit again. Units
 * that already have a live task are left alone, so a rerun during the night or a double click
 * adds nothing twice.
 */

export type RerunScope = 'missing' | 'all';

export interface RerunParams {
  orgId: string;
  runDate: string;
  scope: RerunScope;
}

export interface RerunResult extends AdHocFanOutResult {
  org: Org;
  /** Why nothing could be enqueued, when the org has no expected unit at all. */
  notEligible: string | undefined;
  /** What the enqueued units should cost, at the night's average tokens per call (cost-math.ts). */
  estimatedUsd: number;
}

export async function rerunOrg(
  deps: Pick<Deps, 'db' | 'config' | 'clock'>,
  params: RerunParams & { triggeredBy: string },
): Promise<RerunResult> {
  await assertRunDateAllowed(deps, params.runDate, 'rerun');
  const org = await existingOrg(deps, params.orgId);
  const result = await runAdHocFanOut(deps, {
    functionName: FUNCTION_NAMES.rerun,
    label: `rerun-${org.slug}`,
    triggeredBy: params.triggeredBy,
    request: {
      runDate: params.runDate,
      source: 'rerun',
      scope: params.scope,
      orgIds: [org.id],
      triggeredBy: params.triggeredBy,
    },
    extra: { org: org.name },
  });
  const prices = pricesOf(deps.config.providers);
  const estimatedUsd = await estimateRunUsd(deps.db, params.runDate, result.byProvider, prices);
  return { ...result, org, notEligible: ineligibility(org), estimatedUsd };
}

export interface RerunPreview extends EnqueuePreview {
  org: Org;
  runDate: string;
  scope: RerunScope;
  notEligible: string | undefined;
}

/** What a rerun would enqueue now, for the modal and the confirm step. */
export async function previewRerun(deps: Pick<Deps, 'db'>, params: RerunParams): Promise<RerunPreview> {
  const org = await existingOrg(deps, params.orgId);
  const preview = await previewEnqueue(deps.db, {
    runDate: params.runDate,
    scope: params.scope,
    orgIds: [org.id],
  });
  return { ...preview, org, runDate: params.runDate, scope: params.scope, notEligible: ineligibility(org) };
}

/** One sentence for an org the nightly run skips on purpose (DESIGN §2, eligible org). */
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
