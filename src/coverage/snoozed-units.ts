import type { ActiveSnooze, CoverageReport, SnoozedGroup } from './types.ts';

/**
 * Pure: which of a report's missing units are snoozed. The coverage figures are left as they are
 * (promptCoverage never hides a miss); the report gains the snoozes with the missing units each
 * holds, and `summary.actionable`: the units missing and not snoozed, what Repair and paging act on.
 * A unit two snoozes cover counts once, under the first (oldest) of them.
 */

export const snoozeCovers = (snooze: ActiveSnooze, orgId: string, provider: string): boolean =>
  (snooze.provider === null || snooze.provider === provider) &&
  (snooze.orgId === null || snooze.orgId === orgId);

export function withSnoozes(report: CoverageReport, active: readonly ActiveSnooze[]): CoverageReport {
  const ordered = [...active].sort((a, b) => a.id - b.id);
  const units = new Map<number, number>(ordered.map((s) => [s.id, 0]));
  let snoozedUnits = 0;
  for (const prompt of report.incompletePrompts) {
    for (const missing of prompt.missingProviders) {
      const holder = ordered.find((s) => snoozeCovers(s, prompt.org_id, missing.provider));
      if (!holder) continue;
      units.set(holder.id, (units.get(holder.id) ?? 0) + 1);
      snoozedUnits += 1;
    }
  }
  const snoozed: SnoozedGroup[] = ordered.map((s) => ({ ...s, units: units.get(s.id) ?? 0 }));
  return {
    ...report,
    summary: { ...report.summary, actionable: report.units.missing - snoozedUnits },
    snoozed,
  };
}

/** Missing units no snooze holds: the report's figure, or all missing on records made before snoozes. */
export const actionableUnits = (report: CoverageReport): number =>
  report.summary.actionable ?? report.units.missing;

/** Reasons that are only coverage figures falling short (a snooze can account for them). */
const SHORTFALL_REASONS = new Set([
  'prompt_coverage_below_threshold',
  'org_coverage_below_threshold',
  'provider_coverage_below_threshold',
]);

/**
 * The night needs attention only because of units a snooze holds: its every reason is a figure
 * short of its threshold and no missing unit is left to act on. The health still says so, but
 * nobody is paged and the heartbeat pings success: the outage is known and owned.
 */
export const shortfallAllSnoozed = (report: CoverageReport): boolean =>
  report.summary.overallHealth === 'NEEDS_ATTENTION' &&
  report.units.missing > 0 &&
  actionableUnits(report) === 0 &&
  report.summary.reasons.every((r) => SHORTFALL_REASONS.has(r.code));

/** Missing units some snooze holds. */
export const snoozedUnits = (report: CoverageReport): number =>
  report.units.missing - actionableUnits(report);

/** Missing units per provider that no snooze in the report holds (what Repair would run). */
export function actionableByProvider(report: CoverageReport): Record<string, number> {
  const snoozes = report.snoozed ?? [];
  const byProvider: Record<string, number> = {};
  for (const prompt of report.incompletePrompts) {
    for (const m of prompt.missingProviders) {
      if (snoozes.some((s) => snoozeCovers(s, prompt.org_id, m.provider))) continue;
      byProvider[m.provider] = (byProvider[m.provider] ?? 0) + 1;
    }
  }
  return byProvider;
}
