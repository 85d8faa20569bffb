import { withReadOnlyRuntime } from '../../app/runtime.ts';
import { parseCommandArgs } from '../../args/command-args.ts';
import { formatUsd } from '../../blocks/cost-lines.ts';
import { formatRatio, hadNothingToRun } from '../../blocks/format.ts';
import { pricesOf } from '../../coverage/night-cost.ts';
import { usageError } from '../../errors.ts';
import { EXIT } from '../../exit-codes.ts';
import { type HistoryEntry, listHistory } from '../../scheduler/history.ts';
import type { CliCommand } from '../command.ts';
import { chartNights, writeHistoryChart } from '../history-chart.ts';

const DEFAULT_DAYS = 14;
const MAX_DAYS = 3650;

export const historyCommand: CliCommand = {
  async run(argv, io) {
    const { values } = parseCommandArgs(argv, {
      days: { type: 'string' },
      json: { type: 'boolean' },
      chart: { type: 'string' },
    });
    if (values.chart !== undefined) {
      if (values.json) throw usageError('--chart writes a PNG file; it does not go with --json');
      if (values.chart === '')
        throw usageError('--chart needs a file name, for example --chart coverage.png');
      const nights = chartNights(values.days === undefined ? undefined : daysOption(values.days));
      const path = values.chart;
      return withReadOnlyRuntime(io.env, (rt) => writeHistoryChart({ ...rt, io }, { path, nights }));
    }
    const days = daysOption(values.days);
    return withReadOnlyRuntime(io.env, async (rt) => {
      const entries = await listHistory(rt.db, {
        days,
        now: rt.clock(),
        timezone: rt.config.timezone,
        prices: pricesOf(rt.config.providers),
      });
      io.stdout.write(
        values.json ? `${JSON.stringify(entries, null, 2)}\n` : formatHistory(entries, rt.config.timezone),
      );
      return EXIT.ok;
    });
  },
};

export function daysOption(value: string | undefined): number {
  if (value === undefined) return DEFAULT_DAYS;
  const days = /^\d{1,5}$/.test(value) ? Number(value) : Number.NaN;
  if (!(days >= 1 && days <= MAX_DAYS)) {
    throw usageError(`--days must be a whole number from 1 to ${MAX_DAYS}, not "${value.slice(0, 40)}"`);
  }
  return days;
}

/** Pure: the history as plain text for a terminal. */
export function formatHistory(entries: HistoryEntry[], timezone: string): string {
  if (entries.length === 0) return 'No nights recorded yet.\n';
  const lines = entries.map((e) => {
    const parts = [e.runDate, (e.health ?? 'no check recorded').padEnd(15)];
    if (hadNothingToRun(e.health, e.promptCoverage)) {
      parts.push('nothing to run');
    } else if (e.promptCoverage && e.orgCoverage) {
      const before =
        e.scheduled && e.scheduled.runId !== e.latest?.runId
          ? `${e.scheduled.promptCoverage.percent}% -> `
          : '';
      parts.push(`prompts ${before}${formatRatio(e.promptCoverage)}`, `orgs ${formatRatio(e.orgCoverage)}`);
    }
    if (e.repairs.count > 0) {
      parts.push(
        `${e.repairs.count} repair${e.repairs.count === 1 ? '' : 's'} by ${e.repairs.by.join(', ')}`,
      );
    }
    if (e.reruns.count > 0) parts.push(`${e.reruns.count} rerun${e.reruns.count === 1 ? '' : 's'}`);
    if (e.cost && e.cost.calls > 0) parts.push(`cost ${formatUsd(e.cost.usd)} (${e.cost.calls} calls)`);
    if (e.durationMs !== null) parts.push(`took ${Math.round(e.durationMs / 60_000)} min`);
    if (e.detailsPrunedAt) parts.push('details pruned (retention)');
    return parts.join('  ');
  });
  return `Nights in ${timezone}, newest first:\n${lines.join('\n')}\n`;
}
