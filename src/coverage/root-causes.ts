import { ERROR_CLASSES, type ProviderName } from '../providers/types.ts';
import { snoozeCovers } from './snoozed-units.ts';
import type { CoverageReport, MissingPrompt, MissingReason, SnoozedGroup } from './types.ts';

/**
 * Pure: the provider-wide root causes of a night (issue 12, "one line per root cause"). When one
 * provider failed for a large share of its units in several orgs, the reports say so in one line
 * ("Perplexity: 412 failures across 58 orgs, mostly rate limited (HTTP 429)") and leave those
 * units out of the per-org lists, so the problems that are really an org's own stand out.
 *
 * Counts come from `incompletePrompts`, which holds every missing unit (never cut by a row
 * limit), so they are exact. A failure is a missing unit whose last try ended in an error (an
 * error class, or `failed`); units still queued, never queued or cancelled are not the
 * provider's failures. Snoozed units are not actionable failures: a snoozed provider gets no line.
 */

/** A provider is a root cause when its failures are at least this share of its expected units… */
export const ROOT_CAUSE_MIN_PERCENT = 20;
/** …and they touch at least this many orgs (one org's failures are that org's problem). */
export const ROOT_CAUSE_MIN_ORGS = 3;

export interface RootCauseRule {
  minPercent: number;
  minOrgs: number;
}

export const DEFAULT_ROOT_CAUSE_RULE: RootCauseRule = {
  minPercent: ROOT_CAUSE_MIN_PERCENT,
  minOrgs: ROOT_CAUSE_MIN_ORGS,
};

export interface RootCause {
  provider: ProviderName;
  /** The provider's failed units that no snooze holds: what the line counts and the lists leave out. */
  failures: number;
  /** The provider's expected units of the night (the share's denominator). */
  expectedUnits: number;
  /** Orgs with at least one of those failures. */
  orgs: number;
  /** The most frequent failure class among them, and how many units it has. */
  reason: MissingReason;
  reasonUnits: number;
  /** The HTTP status most errors of that class carry ("openai 429: …"), when they carry one. */
  httpStatus: number | undefined;
  /**
   * What "Retry <provider> only" (a repair of the missing units of this provider) would enqueue:
   * its missing units no snooze holds and no live task runs, in how many orgs.
   */
  retryUnits: number;
  retryOrgs: number;
}

const FAILURE_REASONS: ReadonlySet<string> = new Set([...ERROR_CLASSES, 'failed']);
const LIVE_REASONS: ReadonlySet<string> = new Set(['pending', 'processing']);

type Missing = MissingPrompt['missingProviders'][number];

const isSnoozed = (snoozes: readonly SnoozedGroup[], orgId: string, m: Missing) =>
  snoozes.some((s) => snoozeCovers(s, orgId, m.provider));

/** A unit the root-cause line counts: a failure that no snooze holds. */
const isActionableFailure = (snoozes: readonly SnoozedGroup[], orgId: string, m: Missing) =>
  FAILURE_REASONS.has(m.reason) && !isSnoozed(snoozes, orgId, m);

/** "openai 429: …", "429 Too Many Requests" -> 429; a transport error ("openai: ECONNRESET") has none. */
export function httpStatusOf(error: string | null): number | undefined {
  const match = /^(?:[a-z][\w-]* )?([1-5]\d\d)\b/i.exec(error ?? '');
  return match ? Number(match[1]) : undefined;
}

interface Tally {
  failures: number;
  orgs: Set<string>;
  reasons: Map<MissingReason, number>;
  statuses: Map<MissingReason, Map<number, number>>;
  retryUnits: number;
  retryOrgs: Set<string>;
}

const bump = <K>(map: Map<K, number>, key: K) => map.set(key, (map.get(key) ?? 0) + 1);

/** The larger count first; a tie goes to the smaller key, so the answer never depends on order. */
function largest<K extends string | number>(map: Map<K, number>): [K, number] | undefined {
  return [...map.entries()].sort((a, b) => b[1] - a[1] || String(a[0]).localeCompare(String(b[0])))[0];
}

/** Every provider the rule names a root cause, most failures first. */
export function rootCauses(
  report: CoverageReport,
  rule: RootCauseRule = DEFAULT_ROOT_CAUSE_RULE,
): RootCause[] {
  const snoozes = report.snoozed ?? [];
  const tallies = new Map<ProviderName, Tally>();
  for (const prompt of report.incompletePrompts) {
    for (const m of prompt.missingProviders) {
      let tally = tallies.get(m.provider);
      if (!tally) {
        tally = {
          failures: 0,
          orgs: new Set(),
          reasons: new Map(),
          statuses: new Map(),
          retryUnits: 0,
          retryOrgs: new Set(),
        };
        tallies.set(m.provider, tally);
      }
      if (!isSnoozed(snoozes, prompt.org_id, m) && !LIVE_REASONS.has(m.reason)) {
        tally.retryUnits += 1;
        tally.retryOrgs.add(prompt.org_id);
      }
      if (!isActionableFailure(snoozes, prompt.org_id, m)) continue;
      tally.failures += 1;
      tally.orgs.add(prompt.org_id);
      bump(tally.reasons, m.reason);
      const status = httpStatusOf(m.error);
      if (status !== undefined) {
        const statuses = tally.statuses.get(m.reason) ?? new Map<number, number>();
        bump(statuses, status);
        tally.statuses.set(m.reason, statuses);
      }
    }
  }
  const causes: RootCause[] = [];
  for (const p of report.providers) {
    const tally = tallies.get(p.provider);
    if (!tally || tally.failures === 0 || p.expectedUnits === 0) continue;
    // Exact: failures / expected >= minPercent %, no rounding (as the health thresholds).
    const share = tally.failures * 100 >= rule.minPercent * p.expectedUnits;
    if (!share || tally.orgs.size < rule.minOrgs) continue;
    const [reason, reasonUnits] = largest(tally.reasons) as [MissingReason, number];
    const status = largest(tally.statuses.get(reason) ?? new Map<number, number>());
    causes.push({
      provider: p.provider,
      failures: tally.failures,
      expectedUnits: p.expectedUnits,
      orgs: tally.orgs.size,
      reason,
      reasonUnits,
      httpStatus: status?.[0],
      retryUnits: tally.retryUnits,
      retryOrgs: tally.retryOrgs.size,
    });
  }
  return causes.sort((a, b) => b.failures - a.failures || a.provider.localeCompare(b.provider));
}

/**
 * The report with the root causes' units taken out of `incompletePrompts` (what the per-org lists
 * read): each prompt keeps its other missing units, and a prompt with none left goes. Everything
 * else (ratios, providers, snoozes) stays as measured.
 */
export function withoutRootCauseUnits(report: CoverageReport, causes: readonly RootCause[]): CoverageReport {
  if (causes.length === 0) return report;
  const providers = new Set<string>(causes.map((c) => c.provider));
  const snoozes = report.snoozed ?? [];
  const incompletePrompts: MissingPrompt[] = [];
  for (const prompt of report.incompletePrompts) {
    const left = prompt.missingProviders.filter(
      (m) => !(providers.has(m.provider) && isActionableFailure(snoozes, prompt.org_id, m)),
    );
    if (left.length === prompt.missingProviders.length) incompletePrompts.push(prompt);
    else if (left.length > 0) incompletePrompts.push({ ...prompt, missingProviders: left });
  }
  return { ...report, incompletePrompts };
}
