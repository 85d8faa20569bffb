import { measureCoverage } from '../../scheduler/postcheck.ts';
import { measureProgress } from '../../scheduler/progress.ts';
import type { CliCommand } from '../command.ts';
import { parseCommandArgs } from '../command.ts';
import { formatCoverageReport, formatProgress } from '../format-report.ts';
import { runDateOption } from '../run-date-option.ts';
import { withReadOnlyRuntime } from '../runtime.ts';

export const statusCommand: CliCommand = {
  async run(argv, io) {
    const { values } = parseCommandArgs(argv, { date: { type: 'string' }, json: { type: 'boolean' } });
    return withReadOnlyRuntime(io.env, async (rt) => {
      const runDate = runDateOption(values.date, rt.clock(), rt.config.timezone);
      const now = rt.clock();
      const report = await measureCoverage(
        rt.db,
        runDate,
        { timezone: rt.config.timezone, thresholds: rt.config.thresholds },
        now,
      );
      // Progress only means something while tasks are live.
      const running = report.tasks.pending + report.tasks.processing > 0;
      const progress = running ? await measureProgress(rt.db, runDate, now) : undefined;
      if (values.json) {
        io.stdout.write(`${JSON.stringify({ ...report, ...(progress ? { progress } : {}) }, null, 2)}\n`);
        return 0;
      }
      io.stdout.write(formatCoverageReport(report, { maxPrompts: 50 }));
      if (progress) io.stdout.write(`\n${formatProgress(progress, rt.config.timezone)}`);
      return 0;
    });
  },
};
