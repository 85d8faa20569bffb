import { Blocks } from 'slack-block-builder';
import { finishesLate } from '../scheduler/night-projection.ts';
import {
  count,
  inlineText,
  packLines,
  percent,
  plural,
  progressBar,
  slackDate,
  slackTime,
} from './format.ts';
import { capitalize, projectionWords } from './projection-words.ts';
import type { NightProgress, ProgressCount } from './types.ts';

/** Live progress of a running night: overall, per provider, the orgs with the most left, and an ETA. */

const MAX_ORGS = 5;

/**
 * What every live figure says of itself: progress is read from the task counts while the night
 * runs; exact coverage and health are measured by the postcheck.
 */
export const PROVISIONAL =
  'provisional: the night is still running; exact coverage and health come with the postcheck';

function progressText(c: ProgressCount): string {
  const failed = c.failed > 0 ? `, ${count(c.failed)} failed` : '';
  return `${progressBar(c.done, c.total)} ${percent(c.done, c.total)}% · ${count(c.done)}/${count(c.total)} done${failed}`;
}

/** When the rest will be done at the current rate; undefined without a rate or with nothing left. */
export function etaOf(progress: NightProgress, now: Date): Date | undefined {
  const left = progress.overall.total - progress.overall.done;
  const rate = progress.ratePerMinute;
  if (left <= 0 || rate === undefined || !(rate > 0)) return undefined;
  return new Date(now.getTime() + Math.ceil((left / rate) * 60_000));
}

export function progressLines(progress: NightProgress, now: Date, zone: string): string[] {
  const lines = [`*Progress* ${progressText(progress.overall)}`, `_${capitalize(PROVISIONAL)}._`];
  const pace: string[] = [];
  if (progress.startedAt) pace.push(`started ${slackDate(progress.startedAt, zone)}`);
  if (progress.ratePerMinute !== undefined)
    pace.push(`≈ ${count(Math.round(progress.ratePerMinute))} units/min`);
  const projected = progress.projection
    ? projectionWords(progress.projection, (instant) => slackTime(instant, zone))
    : undefined;
  const eta = projected ? undefined : etaOf(progress, now);
  if (eta) pace.push(`ETA ${slackTime(eta, zone)}`);
  if (pace.length > 0) lines.push(pace.join(' · '));
  if (projected)
    lines.push(
      `${progress.projection && finishesLate(progress.projection) ? '🐢' : '🏁'} ${capitalize(projected)}`,
    );
  for (const p of progress.providers) lines.push(`• *${p.provider}* ${progressText(p)}`);
  const busiest = (progress.orgs ?? [])
    .filter((o) => o.total > o.done)
    .sort((a, b) => b.total - b.done - (a.total - a.done) || a.name.localeCompare(b.name));
  if (busiest.length > 0) {
    const shown = busiest
      .slice(0, MAX_ORGS)
      .map((o) => `${inlineText(o.name, 80)} ${count(o.total - o.done)} left`);
    const more = busiest.length - MAX_ORGS;
    if (more > 0) shown.push(`+${plural(more, 'more org')}`);
    lines.push(`Most left: ${shown.join(' · ')}`);
  }
  return lines;
}

export function progressBlocks(progress: NightProgress, now: Date, zone: string) {
  return packLines(progressLines(progress, now, zone)).map((text) => Blocks.Section({ text }));
}
