import type { ProviderName } from '../providers/types.ts';
import type { NightCost } from './cost-math.ts';

export type Health = 'HEALTHY' | 'NEEDS_ATTENTION';

/**
 * Why a night needs attention: `code` is machine-stable (alerts and saved queries match on it),
 * `message` is one sentence for people. `summary.reasons` is empty exactly when the health is
 * HEALTHY, and lists the reasons in this order:
 * - `trigger_not_run`: eligible orgs have active prompts, but no trigger finished for the run_date
 *   (none ran, it failed, or it is still running) and no job of that date exists;
 * - `no_provider_enabled`: eligible orgs have active prompts but every provider is disabled;
 * - `nothing_expected`: eligible orgs have active prompts, some provider is enabled, but none that
 *   their plans allow, so no unit is expected;
 * - `prompt_coverage_below_threshold`, `org_coverage_below_threshold`: the ratio is under its threshold;
 * - `provider_coverage_below_threshold`: one per provider with expected units whose unit coverage is
 *   under its threshold, naming the provider: one provider down for every org is never healthy,
 *   even when another provider answered every prompt.
 */
export type HealthReasonCode =
  | 'trigger_not_run'
  | 'no_provider_enabled'
  | 'nothing_expected'
  | 'prompt_coverage_below_threshold'
  | 'org_coverage_below_threshold'
  | 'provider_coverage_below_threshold';

export interface HealthReason {
  code: HealthReasonCode;
  message: string;
  /** The provider a `provider_coverage_below_threshold` reason is about. */
  provider?: ProviderName;
}

/** The health criteria, in percent; compared on exact ratios. */
export interface Thresholds {
  promptPercent: number;
  orgPercent: number;
  providerPercent: number;
}

/**
 * Why a unit is missing: the error class of its last failed task, or the state of its task.
 * `not_scheduled`: no task exists (trigger did not run, or the prompt appeared later).
 */
export type MissingReason =
  | 'rate_limited'
  | 'timeout'
  | 'server'
  | 'network'
  | 'auth'
  | 'quota'
  | 'bad_request'
  | 'empty_answer'
  | 'content_filtered'
  | 'failed'
  | 'pending'
  | 'processing'
  | 'cancelled'
  | 'enabled_after_trigger'
  | 'not_scheduled';

export interface Ratio {
  numerator: number;
  denominator: number;
  /** Rounded to one decimal for display only; decisions use numerator/denominator. */
  percent: number;
}

/** A prompt with at least one expected unit that did not succeed. */
export interface MissingPrompt {
  id: string;
  /** 80-character preview, as the seed's monitoring query shows it. */
  text: string;
  org_name: string;
  org_id: string;
  /** The entitled providers that have no success for this prompt on run_date, with the reason. */
  missingProviders: { provider: ProviderName; reason: MissingReason; error: string | null }[];
  /** true when no provider succeeded (the seed's definition of "missing"). */
  uncovered: boolean;
}

export interface OrgCoverage {
  orgId: string;
  name: string;
  slug: string;
  plan: string;
  expectedPrompts: number;
  coveredPrompts: number;
  fullyCoveredPrompts: number;
  expectedUnits: number;
  succeededUnits: number;
  overQuotaPrompts: number;
  found: boolean;
}

export interface ProviderCoverage {
  provider: ProviderName;
  enabled: boolean;
  pausedUntil: string | null;
  pauseReason: string | null;
  expectedUnits: number;
  succeededUnits: number;
  missingUnits: number;
  /** Missing units of this provider by reason, largest first. */
  failuresByReason: Record<string, number>;
}

/** Where the active prompts went: expected, or why not. */
export interface ActivePromptGroups {
  total: number;
  expected: number;
  /** In orgs that are inactive or whose subscription is not active or trialing. */
  orgNotEligible: number;
  /** Ranked past their eligible org's daily quota. */
  overQuota: number;
  /** In eligible orgs whose plan allows no enabled provider. */
  noEntitledProvider: number;
}

/**
 * The postcheck result. The first three keys keep the seed's JSON shape (runbook) so saved
 * queries such as result->'summary'->>'overallHealth' keep working; the rest is added.
 */
export interface CoverageReport {
  promptCoverage: {
    expectedActivePrompts: number;
    promptsRunToday: number;
    coveragePercent: number;
    missingPromptsCount: number;
    /** org id -> prompts of that org with no successful provider (seed definition). */
    missingPromptsByOrg: Record<string, MissingPrompt[]>;
    fullyCoveredPrompts: number;
    fullCoveragePercent: number;
    incompletePromptsCount: number;
  };
  orgCoverage: {
    expected: number;
    found: number;
    missing: number;
    coveragePercent: number;
    missingOrgs: { orgId: string; name: string; slug: string }[];
  };
  summary: {
    overallHealth: Health;
    promptCoveragePercent: number;
    orgCoveragePercent: number;
    /** Empty iff overallHealth is HEALTHY; see HealthReason. */
    reasons: HealthReason[];
    /**
     * No eligible org has an active prompt: HEALTHY, and people are told "nothing to run" rather
     * than "100 % (0/0)". Absent (false) on reports recorded before it existed.
     */
    nothingToRun?: boolean;
    /**
     * Units missing and not snoozed: what Repair and paging act on (snoozed-units.ts). Absent on
     * reports recorded before snoozes existed (read it through actionableUnits).
     */
    actionable?: number;
  };
  runDate: string;
  timezone: string;
  generatedAt: string;
  /** `providerPercent` is absent on reports recorded before the provider criterion existed. */
  thresholds: { promptPercent: number; orgPercent: number; providerPercent?: number };
  units: { expected: number; succeeded: number; missing: number; coveragePercent: number };
  ratios: { prompts: Ratio; fullPrompts: Ratio; orgs: Ratio; units: Ratio };
  providers: ProviderCoverage[];
  orgs: OrgCoverage[];
  /** Every prompt that is not fully covered, worst org first; never cut by a row limit. */
  incompletePrompts: MissingPrompt[];
  /** Units not succeeded, by provider and reason: "perplexity: 41 failed, 39 rate_limited, 2 timeout". */
  failures: { provider: ProviderName; reason: MissingReason; count: number }[];
  overQuota: {
    orgId: string;
    name: string;
    quota: number;
    activePrompts: number;
    overQuotaPrompts: number;
  }[];
  /** Live state of the night's tasks for progress displays. */
  tasks: { pending: number; processing: number; completed: number; failed: number; cancelled: number };
  /**
   * Every active prompt of the database (what the runbook's SQL counts), each in one group, so
   * `total` is the sum of the others. Absent in reports recorded before it existed.
   */
  activePrompts?: ActivePromptGroups;
  /**
   * Enabled providers that no live worker can call when this was measured (no worker has the
   * key or a simulated profile): their tasks wait until one starts. Absent when every enabled
   * provider has one.
   */
  providersWithoutLiveWorker?: ProviderName[];
  /**
   * Set when retention removed the night's queue rows (ISO time): the figures are the last ones
   * recorded, the details (which task ran, which job) are gone.
   */
  detailsPrunedAt?: string;
  /** The night's calls, tokens and cost per provider when measured; absent on older records. */
  cost?: NightCost;
  /** The snoozes active when measured, each with the missing units it holds; absent on older records. */
  snoozed?: SnoozedGroup[];
  /** Providers taken out of service (or back) while the night ran; absent when none was. */
  providerChanges?: ProviderChange[];
}

export interface ProviderChange {
  provider: string;
  change: 'disabled' | 'enabled';
  /** ISO instant. */
  at: string;
  /** A Slack user id or `cli:<user>`. */
  by: string;
  /** Live units of this night the change cancelled. */
  cancelledUnits: number;
}

/** A snooze in force (src/scheduler/snoozes.ts reads them), as coverage needs it. */
export interface ActiveSnooze {
  id: number;
  scope: 'provider' | 'org' | 'org_provider';
  provider: ProviderName | null;
  orgId: string | null;
  orgName: string | null;
  startsAt: string;
  /** ISO end; null when it ends at the scope's next success. */
  until: string | null;
  untilSuccess: boolean;
  reason: string | null;
  /** A Slack user id or `cli:<user>`. */
  by: string;
}

export interface SnoozedGroup extends ActiveSnooze {
  /** Missing units of the night this snooze holds. */
  units: number;
}
