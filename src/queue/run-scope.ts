import { usageError } from '../errors.ts';
import { isProviderName, PROVIDER_NAMES } from '../provider-names.ts';

/**
 * What a repair or rerun enqueues again (issue: scoped reruns, as Airflow's "clear failed only"):
 * - missing: expected units without a success (the default; a unit never tried counts too);
 * - failed: missing units whose latest try on the night ended in a final failure;
 * - all: every expected unit, succeeded or not (a whole new night for that scope).
 * and optionally one provider. Units that already have a live task are never enqueued twice.
 */

export const UNIT_SCOPES = ['missing', 'failed', 'all'] as const;
export type UnitScope = (typeof UNIT_SCOPES)[number];

export interface RunScope {
  units: UnitScope;
  /** Only this provider's units; every enabled provider when absent. */
  provider?: string | undefined;
}

export const DEFAULT_SCOPE: RunScope = { units: 'missing' };

export function isUnitScope(value: unknown): value is UnitScope {
  return typeof value === 'string' && (UNIT_SCOPES as readonly string[]).includes(value);
}

const UNIT_WORDS: Record<UnitScope, string> = {
  missing: 'missing units',
  failed: 'failed units only',
  all: 'every expected unit',
};

/** "missing units", "failed units only, openai only": the preview and the outcome say which. */
export function describeScope(scope: RunScope): string {
  const units = UNIT_WORDS[scope.units];
  return scope.provider ? `${units}, ${scope.provider} only` : units;
}

/** A provider named by a person (CLI flag, button value) must be one sched-bot knows. */
export function assertKnownProvider(provider: string | undefined): void {
  if (provider !== undefined && !isProviderName(provider))
    throw usageError(`unknown provider "${provider.slice(0, 40)}": one of ${PROVIDER_NAMES.join(', ')}`);
}
