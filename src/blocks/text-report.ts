import { DateTime } from 'luxon';
import { reasonWords } from '../coverage/reason-words.ts';
import { rootCauses, withoutRootCauseUnits } from '../coverage/root-causes.ts';
import type { CoverageReport } from '../coverage/types.ts';
import type { UnitScope } from '../queue/run-scope.ts';
import type { NightProjection } from '../scheduler/night-projection.ts';
import type { Progress } from '../scheduler/progress.ts';
import { activePromptsLine } from './active-prompts.ts';
import { costTextLines } from './cost-lines.ts';
import { healthSentence } from './coverage-summary.ts';
import { formatRatio } from './format.ts';
import { setAsideText } from './missing-orgs.ts';
import { noLiveWorkerLine, prunedLine } from './no-live-worker.ts';
import { PROVISIONAL } from './progress-blocks.ts';
import { projectionWords } from './projection-words.ts';
import { providerChangeLines } from './provider-change-lines.ts';
import { rootCauseTextLine } from './root-cause-lines.ts';
import { snoozedSummary } from './snooze-lines.ts';

/** Pure: a coverage report as plain text for people at a terminal. */

export function formatCoverageReport(full: CoverageReport, options: { maxPrompts?: number } = {}): string {
  // A provider failing everywhere is one line; the missing prompts below leave its units out.
  const causes = rootCauses(full);
  const report = withoutRootCauseUnits(full, causes);
  const lines: string[] = [];
  const { ratios } = report;
  lines.push(`Run date ${report.runDate} (${report.timezone}): ${report.summary.overallHealth}`);
  lines.push(`  ${healthSentence(report)}`);
  if (!report.summary.nothingToRun) {
    lines.push(`  prompts covered        ${formatRatio(ratios.prompts)}   (at least one provider answered)`);
    lines.push(
      `  prompts fully covered  ${formatRatio(ratios.fullPrompts)}   (every entitled provider answered)`,
    );
    lines.push(`  units                  ${formatRatio(ratios.units)}`);
    lines.push(`  orgs completed         ${formatRatio(ratios.orgs)}`);
  }
  const activeLine = activePromptsLine(report);
  if (activeLine) lines.push(`  ${activeLine}`);
  const snoozed = snoozedSummary(report, 'text');
  if (snoozed) lines.push(`  ${snoozed}`);
  for (const change of providerChangeLines(report, 'text')) lines.push(`  ${change}`);
  const t = report.tasks;
  const live = t.pending + t.processing;
  if (live > 0 || t.completed + t.failed > 0) {
    lines.push(
      `  tasks                  ${t.completed} completed, ${t.failed} failed, ${t.processing} running, ${t.pending} pending`,
    );
  }
  lines.push('', 'Providers:');
  for (const p of report.providers) {
    if (!p.enabled) {
      lines.push(`  ${p.provider.padEnd(11)} disabled`);
      continue;
    }
    const causes = Object.entries(p.failuresByReason)
      .map(([reason, count]) => `${count} ${reasonWords(reason)}`)
      .join(', ');
    const paused = p.pauseReason ? `  PAUSED: ${p.pauseReason}` : '';
    lines.push(
      `  ${p.provider.padEnd(11)} ${p.succeededUnits}/${p.expectedUnits}${p.missingUnits ? `, ${p.missingUnits} missing: ${causes}` : ''}${paused}`,
    );
  }
  const noWorker = noLiveWorkerLine(report.providersWithoutLiveWorker);
  if (noWorker) lines.push(`  WARNING: ${noWorker}`);
  if (report.detailsPrunedAt) lines.push(`  ${prunedLine(report.detailsPrunedAt)}`);
  const cost = costTextLines(report.cost);
  if (cost.length > 0) lines.push('', ...cost);
  if (causes.length > 0) {
    lines.push('', 'Root causes (left out of the missing prompts below):');
    for (const cause of causes) lines.push(`  ${rootCauseTextLine(cause)}`);
    if (report.incompletePrompts.length === 0)
      lines.push('', 'Missing prompts: none besides the root causes above.');
  }
  if (report.incompletePrompts.length > 0) {
    const limit = options.maxPrompts ?? Number.POSITIVE_INFINITY;
    const setAside = causes.length > 0 ? `; ${setAsideText(causes)}` : '';
    lines.push('', `Missing prompts (${report.incompletePrompts.length} not fully covered${setAside}):`);
    let currentOrg = '';
    report.incompletePrompts.slice(0, limit).forEach((prompt) => {
      if (prompt.org_id !== currentOrg) {
        currentOrg = prompt.org_id;
        lines.push(`  ${prompt.org_name}`);
      }
      const providers = prompt.missingProviders
        .map((m) => `${m.provider}: ${reasonWords(m.reason)}`)
        .join(', ');
      lines.push(`    - ${prompt.text}  [${providers}]`);
    });
    if (report.incompletePrompts.length > limit) {
      lines.push(
        `  +${report.incompletePrompts.length - limit} more (sched status --json for the full list)`,
      );
    }
  }
  if (report.overQuota.length > 0) {
    lines.push('', 'Over quota (reported, not expected):');
    for (const o of report.overQuota) {
      lines.push(
        `  ${o.name}: ${o.overQuotaPrompts} of ${o.activePrompts} active prompts past the quota of ${o.quota}`,
      );
    }
  }
  return `${lines.join('\n')}\n`;
}

/** Why a repair or rerun of that scope enqueued nothing: "nothing to enqueue: …". */
export const NOTHING_TO_ENQUEUE: Record<UnitScope, string> = {
  missing: 'every unit already succeeded or is queued',
  failed: 'no unit ended in a final failure, or each one is already queued again',
  all: 'every unit is already queued or running',
};

/** "42 tasks for 5 orgs (openai 21, perplexity 21)", or "no task" when nothing was enqueued. */
export function formatEnqueued(result: {
  tasks: number;
  orgs: number;
  byProvider: Record<string, number>;
}): string {
  if (result.tasks === 0) return 'no task';
  const providers = Object.entries(result.byProvider)
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([provider, n]) => `${provider} ${n}`)
    .join(', ');
  return `${plural(result.tasks, 'task')} for ${plural(result.orgs, 'org')} (${providers})`;
}

export const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;

/** A local wall-clock time for terminal output: "2026-03-02 03:00 EST". */
export const localTime = (instant: Date, zone: string) =>
  DateTime.fromJSDate(instant, { zone }).toFormat('yyyy-MM-dd HH:mm ZZZZ');

/** Live progress of a running night: totals, rate, estimated finish, then providers and busiest orgs. */
export function formatProgress(
  progress: Progress,
  zone: string,
  options: { maxOrgs?: number; projection?: NightProjection | undefined } = {},
): string {
  const lines: string[] = [];
  // With a projected finish (each provider's pace and limit) it replaces the night-wide estimate.
  const projected =
    options.projection?.finishAt && projectionWords(options.projection, (d) => localTime(d, zone).slice(11));
  const pct = progress.total === 0 ? 100 : Math.floor((progress.done / progress.total) * 100);
  const eta = progress.estimatedFinish
    ? `, estimated finish ${localTime(progress.estimatedFinish, zone)}`
    : progress.startedAt === null
      ? ', not started yet'
      : progress.live > 0
        ? ', no task finished in the last few minutes'
        : '';
  lines.push(
    `Progress: ${progress.done}/${progress.total} done (${pct}%), ${progress.processing} running, ${progress.pending} pending; ` +
      `${progress.ratePerMinute.toFixed(1)}/min${projected ? '' : eta}`,
  );
  lines.push(`  (${PROVISIONAL})`);
  if (projected) lines.push(`Finish: ${projected}`);
  for (const p of progress.byProvider) {
    lines.push(`  ${p.provider.padEnd(11)} ${p.done}/${p.total}${p.failed ? `, ${p.failed} failed` : ''}`);
  }
  const busy = progress.byOrg.filter((o) => o.done < o.total);
  const limit = options.maxOrgs ?? 10;
  if (busy.length > 0) {
    lines.push('  orgs with work left:');
    for (const o of busy.slice(0, limit)) lines.push(`    ${o.name}: ${o.done}/${o.total}`);
    if (busy.length > limit) lines.push(`    +${busy.length - limit} more`);
  }
  return `${lines.join('\n')}\n`;
}
