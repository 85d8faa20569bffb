import { measureCoverage } from '../../scheduler/postcheck.ts';
import type { CliCommand } from '../command.ts';
import { parseCommandArgs } from '../command.ts';
import { formatCoverageReport } from '../format-report.ts';
import { runDateOption } from '../run-date-option.ts';
import { withRuntime } from '../runtime.ts';

export const statusCommand: CliCommand = {
  name: 'status',
  summary: 'health, coverage and missing prompts of a run date, without recording anything',
  usage: 'sched status [--date YYYY-MM-DD] [--json]',
  async run(argv, io) {
    const { values } = parseCommandArgs(argv, { date: { type: 'string' }, json: { type: 'boolean' } });
    return withRuntime(io.env, async (rt) => {
      const runDate = runDateOption(values.date, rt.clock(), rt.config.timezone);
      const report = await measureCoverage(
        rt.db,
        runDate,
        { timezone: rt.config.timezone, thresholds: rt.config.thresholds },
        rt.clock(),
      );
      io.stdout.write(
        values.json
          ? `${JSON.stringify(report, null, 2)}\n`
          : formatCoverageReport(report, { maxPrompts: 50 }),
      );
      return 0;
    });
  },
};
