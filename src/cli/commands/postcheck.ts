import { runPostcheck } from '../../scheduler/postcheck.ts';
import type { CliCommand } from '../command.ts';
import { parseCommandArgs } from '../command.ts';
import { formatCoverageReport } from '../format-report.ts';
import { runDateOption } from '../run-date-option.ts';
import { withRuntime } from '../runtime.ts';

export const postcheckCommand: CliCommand = {
  name: 'postcheck',
  summary: 'measure and record coverage for a run date (the seed JSON with --json)',
  usage: 'sched postcheck [--date YYYY-MM-DD] [--repair] [--json]',
  async run(argv, io) {
    const { values } = parseCommandArgs(argv, {
      date: { type: 'string' },
      repair: { type: 'boolean' },
      json: { type: 'boolean' },
    });
    return withRuntime(io.env, async (rt) => {
      const runDate = runDateOption(values.date, rt.clock(), rt.config.timezone);
      const { report } = await runPostcheck(
        rt.db,
        { runDate, triggeredBy: 'cli' },
        { timezone: rt.config.timezone, thresholds: rt.config.thresholds },
        rt.clock,
      );
      const output: Record<string, unknown> = { ...report };
      if (values.repair) {
        const { repairMissing } = await import('../../scheduler/repair.ts');
        output.repair = await repairMissing(rt, { runDate, triggeredBy: 'cli' });
      }
      io.stdout.write(values.json ? `${JSON.stringify(output, null, 2)}\n` : formatCoverageReport(report));
      return 0;
    });
  },
};
