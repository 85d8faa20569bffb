import type { HistoryEntry } from '../scheduler/history.ts';
import { formatUsd } from './cost-lines.ts';
import {
  actorLabel,
  formatDuration,
  formatRatio,
  hadNothingToRun,
  healthLabel,
  plural,
  shortRunDateLabel,
  slackDate,
} from './format.ts';

/** One night of history as two mrkdwn lines: health and coverage, then repairs and duration. */

const MAX_ACTORS = 5;

export function nightLines(entry: HistoryEntry, zone: string): string {
  const day = `*${shortRunDateLabel(entry.runDate)}*`;
  const first: string[] = [`${healthLabel(entry.health)} · ${day}`];
  if (hadNothingToRun(entry.health, entry.promptCoverage)) {
    first.push('nothing to run');
  } else if (entry.promptCoverage && entry.orgCoverage) {
    const before =
      entry.scheduled && entry.latest && entry.scheduled.runId !== entry.latest.runId
        ? `${entry.scheduled.promptCoverage.percent}% → `
        : '';
    first.push(
      `prompts ${before}${formatRatio(entry.promptCoverage)}`,
      `orgs ${formatRatio(entry.orgCoverage)}`,
    );
  }
  const second: string[] = [];
  if (entry.repairs.count > 0) {
    const who = entry.repairs.by.slice(0, MAX_ACTORS).map(actorLabel);
    if (entry.repairs.by.length > MAX_ACTORS) who.push(`+${entry.repairs.by.length - MAX_ACTORS} more`);
    second.push(`🔧 ${plural(entry.repairs.count, 'repair')} by ${who.join(', ')}`);
  }
  if (entry.reruns.count > 0) second.push(`↻ ${plural(entry.reruns.count, 'rerun')}`);
  if (entry.cost && entry.cost.calls > 0)
    second.push(`💵 ${formatUsd(entry.cost.usd)} (${plural(entry.cost.calls, 'call')})`);
  if (entry.durationMs !== null) second.push(`⏱ ${formatDuration(entry.durationMs)}`);
  if (entry.startedAt) second.push(`started ${slackDate(entry.startedAt, zone)}`);
  else if (entry.health === null) second.push('nothing ran');
  if (entry.detailsPrunedAt) second.push('details pruned by retention');
  return [first.join(' · '), second.join(' · ')].filter(Boolean).join('\n');
}
