import { parseCommandArgs, runDateOption } from '../../command-args.ts';
import { EXIT } from '../../exit-codes.ts';
import { withReadOnlyRuntime } from '../../runtime.ts';
import { measureCoverage } from '../../scheduler/postcheck.ts';
import { measureProgress } from '../../scheduler/progress.ts';
import { formatCoverageReport, formatProgress } from '../../views/text-report.ts';
import type { CliCommand } from '../command.ts';

export const statusCommand: CliCommand = {
  async run(argv, io) {
    const { values } = parseCommandArgs(argv, { date: { type: 'string' }, json: { type: 'boolean' } });
    return withReadOnlyRuntime(io.env, async (rt) => {
      const runDate = runDateOption(values.date, rt.clock(), rt.config.timezone);
      const now = rt.clock();
      const report = await measureCoverage(
        {
          db: rt.db,
          config: rt.config,
          clock: rt.clock,
        },
        { runDate, now },
      );
      // Progress only means something while tasks are live.
      const running = report.tasks.pending + report.tasks.processing > 0;
      const progress = running ? await measureProgress(rt.db, { runDate, now }) : undefined;
      if (values.json) {
        io.stdout.write(`${JSON.stringify({ ...report, ...(progress ? { progress } : {}) }, null, 2)}\n`);
        return EXIT.ok;
      }
      io.stdout.write(formatCoverageReport(report, { maxPrompts: 50 }));
      if (progress) io.stdout.write(`\n${formatProgress(progress, rt.config.timezone)}`);
      return EXIT.ok;
    });
  },
};
