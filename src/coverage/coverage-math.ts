import type { ProviderName } from '../providers/types.ts';
import type { CoverageRows } from './coverage-query.ts';
import type {
  ActivePromptGroups,
  CoverageReport,
  Health,
  HealthReason,
  MissingPrompt,
  MissingReason,
  Ratio,
  Thresholds,
} from './types.ts';

/** Pure coverage math: no I/O, no clock. */

export function ratio(numerator: number, denominator: number): Ratio {
  return { numerator, denominator, percent: percentOf(numerator, denominator) };
}

/** Display percent with one decimal. Nothing expected means nothing is missing: 100. */
export function percentOf(numerator: number, denominator: number): number {
  if (denominator === 0) return 100;
  return Math.round((numerator / denominator) * 1000) / 10;
}

/**
 * "87.8% (43/49)" for a figure below `threshold`, as every view rounds it; cut instead of rounded
 * where rounding would reach the threshold, so a shortfall never reads "95%, below 95%".
 */
function shortOf(numerator: number, denominator: number, threshold: number): string {
  const rounded = percentOf(numerator, denominator);
  const shown = rounded < threshold ? rounded : Math.floor((numerator * 1000) / denominator) / 10;
  return `${shown}% (${numerator}/${denominator})`;
}

/** Exact comparison n/d >= threshold% without rounding: 94.6 % is below 95 %. */
export function meetsThreshold(numerator: number, denominator: number, thresholdPercent: number): boolean {
  if (denominator === 0) return true;
  return numerator * 100 >= thresholdPercent * denominator;
}

/**
 * Every reason a night needs attention, in HealthReasonCode order; empty means HEALTHY. A night
 * with active prompts but nothing expected is never healthy (0/0 is not 100 %); a night with no
 * active prompt at all is.
 */
export function healthReasons(input: {
  runDate: string;
  prompts: { numerator: number; denominator: number };
  orgs: { numerator: number; denominator: number };
  units: { denominator: number };
  /** Each provider's expected and succeeded units; a provider expecting none is not judged. */
  providers: readonly { provider: ProviderName; expected: number; succeeded: number }[];
  thresholds: Thresholds;
  night: CoverageRows['night'];
}): HealthReason[] {
  const { runDate, prompts, orgs, units, providers, thresholds, night } = input;
  const reasons: HealthReason[] = [];
  const activePrompts = Number(night?.active_prompts ?? 0);
  if (night && activePrompts > 0) {
    const status = night.trigger_status;
    if (status !== 'completed' && status !== 'skipped' && Number(night.jobs) === 0) {
      const why =
        status === 'failed'
          ? `the trigger for ${runDate} failed`
          : status === 'running'
            ? `the trigger for ${runDate} is still running`
            : `no trigger ran for ${runDate}`;
      reasons.push({ code: 'trigger_not_run', message: `${why}, so nothing was enqueued` });
    }
    if (units.denominator === 0) {
      const what = `${activePrompts} active prompt${activePrompts === 1 ? '' : 's'} of ${night.eligible_orgs} eligible org${Number(night.eligible_orgs) === 1 ? '' : 's'}`;
      reasons.push(
        Number(night.enabled_providers) === 0
          ? {
              code: 'no_provider_enabled',
              message: `no provider is enabled, so none of ${what} is expected to run`,
            }
          : {
              code: 'nothing_expected',
              message: `no enabled provider is allowed by their plans, so none of ${what} is expected to run`,
            },
      );
    }
  }
  if (!meetsThreshold(prompts.numerator, prompts.denominator, thresholds.promptPercent)) {
    reasons.push({
      code: 'prompt_coverage_below_threshold',
      message: `${shortOf(prompts.numerator, prompts.denominator, thresholds.promptPercent)} of prompts covered, below ${thresholds.promptPercent}%`,
    });
  }
  if (!meetsThreshold(orgs.numerator, orgs.denominator, thresholds.orgPercent)) {
    reasons.push({
      code: 'org_coverage_below_threshold',
      message: `${shortOf(orgs.numerator, orgs.denominator, thresholds.orgPercent)} of orgs completed, below ${thresholds.orgPercent}%`,
    });
  }
  for (const p of providers) {
    if (p.expected === 0 || meetsThreshold(p.succeeded, p.expected, thresholds.providerPercent)) continue;
    reasons.push({
      code: 'provider_coverage_below_threshold',
      provider: p.provider,
      message: `${p.provider} answered ${shortOf(p.succeeded, p.expected, thresholds.providerPercent)} of its units, below ${thresholds.providerPercent}%`,
    });
  }
  return reasons;
}

export interface ReportContext {
  runDate: string;
  timezone: string;
  generatedAt: Date;
  thresholds: Thresholds;
}

const sum = (values: number[]) => values.reduce((a, b) => a + b, 0);

export function buildCoverageReport(rows: CoverageRows, context: ReportContext): CoverageReport {
  const orgs = rows.orgs.map((o) => ({
    orgId: o.org_id,
    name: o.name,
    slug: o.slug,
    plan: o.plan,
    expectedPrompts: Number(o.expected_prompts),
    coveredPrompts: Number(o.covered_prompts),
    fullyCoveredPrompts: Number(o.full_prompts),
    expectedUnits: Number(o.expected_units),
    succeededUnits: Number(o.succeeded_units),
    overQuotaPrompts: Number(o.over_quota_prompts),
    found: o.found,
  }));
  const orgById = new Map(orgs.map((o) => [o.orgId, o]));

  const prompts = ratio(sum(orgs.map((o) => o.coveredPrompts)), sum(orgs.map((o) => o.expectedPrompts)));
  const fullPrompts = ratio(sum(orgs.map((o) => o.fullyCoveredPrompts)), prompts.denominator);
  const units = ratio(sum(orgs.map((o) => o.succeededUnits)), sum(orgs.map((o) => o.expectedUnits)));
  const orgRatio = ratio(orgs.filter((o) => o.found).length, orgs.length);
  const reasons = healthReasons({
    runDate: context.runDate,
    prompts,
    orgs: orgRatio,
    units,
    providers: rows.providers.map((p) => ({
      provider: p.provider,
      expected: Number(p.expected_units),
      succeeded: Number(p.succeeded_units),
    })),
    thresholds: context.thresholds,
    night: rows.night,
  });
  const overallHealth: Health = reasons.length === 0 ? 'HEALTHY' : 'NEEDS_ATTENTION';
  // Healthy with nothing expected only when no eligible org has an active prompt (else a reason says why).
  const nothingToRun = reasons.length === 0 && units.denominator === 0;

  const incompletePrompts = groupMissingUnits(rows.missing, orgById, rows.orgs);
  const missingPromptsByOrg: Record<string, MissingPrompt[]> = {};
  for (const prompt of incompletePrompts) {
    if (!prompt.uncovered) continue;
    const list = missingPromptsByOrg[prompt.org_id] ?? [];
    list.push(prompt);
    missingPromptsByOrg[prompt.org_id] = list;
  }

  const failures = countFailures(rows.missing);
  const providers = rows.providers.map((p) => {
    const byReason: Record<string, number> = {};
    for (const f of failures.filter((f) => f.provider === p.provider)) byReason[f.reason] = f.count;
    const expected = Number(p.expected_units);
    const succeeded = Number(p.succeeded_units);
    return {
      provider: p.provider,
      enabled: p.enabled,
      pausedUntil: p.paused_until,
      pauseReason: p.pause_reason,
      expectedUnits: expected,
      succeededUnits: succeeded,
      missingUnits: expected - succeeded,
      failuresByReason: byReason,
    };
  });

  return {
    promptCoverage: {
      expectedActivePrompts: prompts.denominator,
      promptsRunToday: prompts.numerator,
      coveragePercent: prompts.percent,
      missingPromptsCount: prompts.denominator - prompts.numerator,
      missingPromptsByOrg,
      fullyCoveredPrompts: fullPrompts.numerator,
      fullCoveragePercent: fullPrompts.percent,
      incompletePromptsCount: prompts.denominator - fullPrompts.numerator,
    },
    orgCoverage: {
      expected: orgRatio.denominator,
      found: orgRatio.numerator,
      missing: orgRatio.denominator - orgRatio.numerator,
      coveragePercent: orgRatio.percent,
      missingOrgs: orgs.filter((o) => !o.found).map((o) => ({ orgId: o.orgId, name: o.name, slug: o.slug })),
    },
    summary: {
      overallHealth,
      promptCoveragePercent: prompts.percent,
      orgCoveragePercent: orgRatio.percent,
      reasons,
      nothingToRun,
    },
    runDate: context.runDate,
    timezone: context.timezone,
    generatedAt: context.generatedAt.toISOString(),
    thresholds: context.thresholds,
    units: {
      expected: units.denominator,
      succeeded: units.numerator,
      missing: units.denominator - units.numerator,
      coveragePercent: units.percent,
    },
    ratios: { prompts, fullPrompts, orgs: orgRatio, units },
    providers,
    orgs,
    incompletePrompts,
    failures,
    overQuota: rows.over_quota.map((o) => ({
      orgId: o.org_id,
      name: o.name,
      quota: Number(o.quota),
      activePrompts: Number(o.active_prompts),
      overQuotaPrompts: Number(o.over_quota_prompts),
    })),
    tasks: {
      pending: Number(rows.tasks.pending),
      processing: Number(rows.tasks.processing),
      completed: Number(rows.tasks.completed),
      failed: Number(rows.tasks.failed),
      cancelled: Number(rows.tasks.cancelled),
    },
    ...(rows.active_prompts ? { activePrompts: activePromptGroups(rows.active_prompts) } : {}),
    ...(rows.provider_changes?.length
      ? {
          providerChanges: rows.provider_changes.map((c) => ({
            provider: c.provider,
            change: c.enabled ? ('enabled' as const) : ('disabled' as const),
            at: c.at,
            by: c.by,
            cancelledUnits: Number(c.cancelled_units),
          })),
        }
      : {}),
  };
}

function activePromptGroups(row: NonNullable<CoverageRows['active_prompts']>): ActivePromptGroups {
  return {
    total: Number(row.total),
    expected: Number(row.expected),
    orgNotEligible: Number(row.org_not_eligible),
    overQuota: Number(row.over_quota),
    noEntitledProvider: Number(row.no_entitled_provider),
  };
}

/** Missing units -> one entry per prompt, orgs with the most missing prompts first. */
function groupMissingUnits(
  missing: CoverageRows['missing'],
  orgById: Map<string, { name: string; expectedUnits: number }>,
  orgRows: CoverageRows['orgs'],
): MissingPrompt[] {
  const unitsByPrompt = new Map<string, number>();
  const prompts = new Map<string, MissingPrompt>();
  for (const unit of missing) {
    let prompt = prompts.get(unit.prompt_id);
    if (!prompt) {
      prompt = {
        id: unit.prompt_id,
        text: unit.text,
        org_name: orgById.get(unit.org_id)?.name ?? unit.org_id,
        org_id: unit.org_id,
        missingProviders: [],
        uncovered: false,
      };
      prompts.set(unit.prompt_id, prompt);
    }
    prompt.missingProviders.push({ provider: unit.provider, reason: unit.reason, error: unit.error });
    unitsByPrompt.set(unit.prompt_id, (unitsByPrompt.get(unit.prompt_id) ?? 0) + 1);
  }
  // A prompt is uncovered when every one of its expected units is missing.
  const providersPerOrg = new Map<string, number>();
  for (const o of orgRows) {
    const expectedPrompts = Number(o.expected_prompts);
    if (expectedPrompts > 0) providersPerOrg.set(o.org_id, Number(o.expected_units) / expectedPrompts);
  }
  for (const prompt of prompts.values()) {
    prompt.uncovered = unitsByPrompt.get(prompt.id) === providersPerOrg.get(prompt.org_id);
  }
  const missingPerOrg = new Map<string, number>();
  for (const p of prompts.values()) missingPerOrg.set(p.org_id, (missingPerOrg.get(p.org_id) ?? 0) + 1);
  return [...prompts.values()].sort(
    (a, b) =>
      (missingPerOrg.get(b.org_id) ?? 0) - (missingPerOrg.get(a.org_id) ?? 0) ||
      a.org_name.localeCompare(b.org_name) ||
      a.org_id.localeCompare(b.org_id) ||
      a.text.localeCompare(b.text) ||
      a.id.localeCompare(b.id),
  );
}

function countFailures(
  missing: CoverageRows['missing'],
): { provider: ProviderName; reason: MissingReason; count: number }[] {
  const counts = new Map<string, { provider: ProviderName; reason: MissingReason; count: number }>();
  for (const unit of missing) {
    const key = `${unit.provider}\u0000${unit.reason}`;
    const entry = counts.get(key) ?? { provider: unit.provider, reason: unit.reason, count: 0 };
    entry.count += 1;
    counts.set(key, entry);
  }
  return [...counts.values()].sort(
    (a, b) => a.provider.localeCompare(b.provider) || b.count - a.count || a.reason.localeCompare(b.reason),
  );
}
