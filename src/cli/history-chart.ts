import { writeFile } from 'node:fs/promises';
import { CHART_NIGHTS, coverageChart, MAX_CHART_NIGHTS } from '../chart/coverage-chart.ts';
import type { Deps } from '../context.ts';
import { SchedError, usageError } from '../errors.ts';
import { EXIT } from '../exit-codes.ts';
import type { CliIo } from './command.ts';

/** `sched history --chart FILE [--days N]`: the coverage chart of the last nights as a PNG file. */

export function chartNights(days: number | undefined): number {
  if (days === undefined) return CHART_NIGHTS;
  if (days > MAX_CHART_NIGHTS) throw usageError(`--days with --chart must be at most ${MAX_CHART_NIGHTS}`);
  return days;
}

export async function writeHistoryChart(
  deps: Pick<Deps, 'db' | 'config' | 'clock'> & { io: CliIo },
  options: { path: string; nights: number },
): Promise<number> {
  const { io } = deps;
  const chart = await coverageChart(deps, { nights: options.nights });
  if (!chart) {
    io.stderr.write(`No postcheck recorded in the last ${options.nights} nights: no chart written.\n`);
    return EXIT.problem;
  }
  try {
    await writeFile(options.path, chart.png);
  } catch (error) {
    const reason = (error as NodeJS.ErrnoException).code ?? (error as Error).message;
    throw new SchedError('not_found', `cannot write the chart to ${options.path} (${reason})`);
  }
  io.stdout.write(
    `Chart of ${chart.nights === 1 ? 'one night' : `the last ${chart.nights} nights`} written to ${options.path} (${chart.width}x${chart.height} PNG).\n${chart.altText}\n`,
  );
  if (chart.prunedNote) io.stdout.write(`${chart.prunedNote}\n`);
  return EXIT.ok;
}
