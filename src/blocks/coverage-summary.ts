import { Blocks } from 'slack-block-builder';
import type { CoverageReport, HealthReason, HealthReasonCode, Ratio } from '../coverage/types.ts';
import {
  escapeMrkdwn,
  formatDelta,
  formatRatio,
  healthLabel,
  plural,
  runDateLabel,
  slackDate,
  truncate,
} from './format.ts';

/** The coverage numbers every report-like view starts with. */

export interface Comparison {
  /** Yesterday's report. */
  previous?: CoverageReport | undefined;
  /** Median prompt coverage (percent) of the previous seven nights. */
  median7?: number | undefined;
}

const METRICS: { key: keyof CoverageReport['ratios']; label: string }[] = [
  { key: 'prompts', label: 'Prompts covered' },
  { key: 'fullPrompts', label: 'Prompts fully covered' },
  { key: 'units', label: 'Units (prompt × provider)' },
  { key: 'orgs', label: 'Orgs completed' },
];

function field(label: string, ratio: Ratio, notes: string[]): string {
  return [`*${label}*`, formatRatio(ratio), ...notes].join('\n');
}

/**
 * A section of four fields: each ratio, its change against yesterday and the 7-night median; a
 * night with nothing to run says so instead of four "0/0".
 */
export function coverageFields(report: CoverageReport, comparison: Comparison = {}) {
  if (report.summary.nothingToRun) return Blocks.Section({ text: `*${NOTHING_TO_RUN_SENTENCE}.*` });
  const fields = METRICS.map(({ key, label }) => {
    const ratio = report.ratios[key];
    const notes: string[] = [];
    const before = comparison.previous?.ratios[key];
    if (before) notes.push(`${formatDelta(ratio.percent, before.percent)} vs yesterday`);
    if (key === 'prompts' && comparison.median7 !== undefined) {
      notes.push(
        `${formatDelta(ratio.percent, comparison.median7)} vs 7-night median ${comparison.median7}%`,
      );
    }
    return field(label, ratio, notes);
  });
  return Blocks.Section().fields(...fields);
}

/** "Nightly run Sun, Mar 8, 2026 · ⚠️ Needs attention": no user text, fits a 150-character header. */
export function reportTitle(report: CoverageReport, prefix: string): string {
  return `${prefix} ${runDateLabel(report.runDate)} · ${healthLabel(report.summary.overallHealth)}`;
}

/**
 * Why the night has its health, built from the health and its reasons and nothing beside them:
 * "Needs attention: openai answered 0% (0/180) of its units, below 95%." A healthy night says
 * which thresholds it met, and why Repair is still offered: "Healthy: 98.6% of prompts covered
 * (≥ 95%), 100% of orgs completed (≥ 95%) and every provider answered at least 95% of its units;
 * 6 prompts still miss a provider: Repair re-runs them."
 */
export function healthSentence(report: CoverageReport): string {
  if (report.summary.nothingToRun) return `${NOTHING_TO_RUN_SENTENCE}.`;
  const healthy = report.summary.overallHealth === 'HEALTHY';
  const reasons = report.summary.reasons ?? [];
  let measured: string;
  if (healthy) {
    const { prompts, orgs } = report.ratios;
    const t = report.thresholds;
    const providers =
      t.providerPercent === undefined
        ? ''
        : ` and every provider answered at least ${t.providerPercent}% of its units`;
    measured =
      `Healthy: ${prompts.percent}% of prompts covered (≥ ${t.promptPercent}%), ` +
      `${orgs.percent}% of orgs completed (≥ ${t.orgPercent}%)${providers}`;
  } else if (reasons.length > 0) {
    measured = `Needs attention: ${reasons.map((r) => r.message).join('; ')}`;
  } else {
    // A record older than the reasons: its figures, with no claim about thresholds.
    measured = `Needs attention: ${figuresText(report)}`;
  }
  const incomplete = report.incompletePrompts.length;
  if (report.units.missing === 0 || incomplete === 0) return `${measured}.`;
  const one = incomplete === 1;
  const verb = `${healthy ? 'still ' : ''}${one ? 'misses' : 'miss'}`;
  return `${measured}; ${plural(incomplete, 'prompt')} ${verb} a provider: Repair re-runs ${one ? 'it' : 'them'}.`;
}

/** What every surface says of a night with no active prompt in an eligible org, never "100% (0/0)". */
export const NOTHING_TO_RUN_SENTENCE = 'Nothing to run: no eligible org has an active prompt';

/** Why the health is what it is; when it was measured, in which zone. */
export function reportContext(report: CoverageReport) {
  const checked = slackDate(new Date(report.generatedAt), report.timezone);
  return Blocks.Context().elements(
    healthSentence(report),
    `Checked ${checked} · business day in ${report.timezone}`,
  );
}

/** "📖 Runbook: …" under a report or a status, when the team's runbook is configured (RUNBOOK_URL). */
export function runbookLink(url: string | undefined) {
  if (!url) return undefined;
  return Blocks.Context().elements(
    `📖 <${escapeMrkdwn(url).replace(/\|/g, '%7C')}|Runbook>: what each health state means and what to try, in order`,
  );
}

/** Reasons the coverage figures do not show by themselves: the night never ran, or nothing was expected. */
const NIGHT_REASONS: HealthReasonCode[] = ['trigger_not_run', 'no_provider_enabled', 'nothing_expected'];
export const nightReasons = (report: CoverageReport): HealthReason[] =>
  (report.summary.reasons ?? []).filter((r) => NIGHT_REASONS.includes(r.code));
export const hasReason = (report: CoverageReport, code: HealthReasonCode) =>
  (report.summary.reasons ?? []).some((r) => r.code === code);

/** "⚠️ Why it needs attention" with every reason, when the figures alone would mislead (0/0 is not 100 %). */
export function healthReasonsBlock(report: CoverageReport) {
  if (nightReasons(report).length === 0) return undefined;
  const lines = report.summary.reasons.map((r) => `• ${r.message}`);
  return Blocks.Section({ text: truncate(['⚠️ *Why it needs attention*', ...lines].join('\n'), 3000) });
}

/** The plain one-line summary used as a message's top-level text (notifications, screen readers). */
export function summaryText(report: CoverageReport, prefix: string): string {
  const head = `${prefix} ${runDateLabel(report.runDate)}: ${healthLabel(report.summary.overallHealth)}.`;
  if (report.summary.nothingToRun) return `${head} ${NOTHING_TO_RUN_SENTENCE}.`;
  const why = (report.summary.reasons ?? []).map((reason) => ` ${capitalize(reason.message)}.`);
  return `${head}${why.join('')} ${capitalize(figuresText(report))}.`;
}

/** "prompts 98.6% (138/140), orgs 100% (5/5), units 97.1% (340/350)", or "nothing to run". */
export function figuresText(report: CoverageReport): string {
  if (report.summary.nothingToRun) return 'nothing to run';
  const r = report.ratios;
  return `prompts ${formatRatio(r.prompts)}, orgs ${formatRatio(r.orgs)}, units ${formatRatio(r.units)}`;
}

const capitalize = (text: string) => text.charAt(0).toUpperCase() + text.slice(1);

/** "⏳ 120 tasks still pending or running" when the night is not finished, else nothing. */
export function liveTasksLine(report: CoverageReport): string | undefined {
  const live = report.tasks.pending + report.tasks.processing;
  if (live === 0) return undefined;
  return `⏳ ${live} task${live === 1 ? '' : 's'} still pending or running: the numbers above will change.`;
}
