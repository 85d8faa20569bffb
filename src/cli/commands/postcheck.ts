import { runPostcheck } from '../../scheduler/postcheck.ts';
import { repairMissing } from '../../scheduler/repair.ts';
import { assertRunDateAllowed } from '../../scheduler/run-date-guard.ts';
import { cliActor } from '../actor.ts';
import type { CliCommand } from '../command.ts';
import { parseCommandArgs } from '../command.ts';
import { formatCoverageReport, formatEnqueued } from '../format-report.ts';
import { runDateOption } from '../run-date-option.ts';
import { withRuntime } from '../runtime.ts';

export const postcheckCommand: CliCommand = {
  name: 'postcheck',
  summary:
    'measure and record coverage for a run date (the seed JSON with --json); --repair enqueues what is missing',
  usage: 'sched postcheck [--date YYYY-MM-DD] [--repair] [--json]',
  async run(argv, io) {
    const { values } = parseCommandArgs(argv, {
      date: { type: 'string' },
      repair: { type: 'boolean' },
      json: { type: 'boolean' },
    });
    return withRuntime(io.env, async (rt) => {
      const runDate = runDateOption(values.date, rt.clock(), rt.config.timezone);
      const triggeredBy = cliActor(io.env);
      // A refused repair date is refused before the postcheck records anything.
      if (values.repair) await assertRunDateAllowed(rt, runDate, 'repair');
      const { report, runId } = await runPostcheck(
        rt.db,
        { runDate, triggeredBy },
        { timezone: rt.config.timezone, thresholds: rt.config.thresholds },
        rt.clock,
      );
      const repair = values.repair ? await repairMissing(rt, { runDate, triggeredBy }) : undefined;
      if (values.json) {
        io.stdout.write(`${JSON.stringify({ ...report, runId, ...(repair ? { repair } : {}) }, null, 2)}\n`);
        return 0;
      }
      io.stdout.write(formatCoverageReport(report));
      if (repair) {
        io.stdout.write(
          repair.tasks > 0
            ? `\nRepair: enqueued ${formatEnqueued(repair)}. Run \`sched worker --drain\` (or wait for the workers), then check again.\n`
            : '\nRepair: nothing to enqueue (every missing unit already has a queued or running task).\n',
        );
      }
      return 0;
    });
  },
};
