import { withReadOnlyRuntime } from '../../app/runtime.ts';
import { parseCommandArgs, runDateOption } from '../../args/command-args.ts';
import { formatCoverageReport, formatProgress } from '../../blocks/text-report.ts';
import { EXIT } from '../../exit-codes.ts';
import { measureNightPace } from '../../scheduler/night-pace.ts';
import { etaSeconds } from '../../scheduler/night-projection.ts';
import { measureCoverage } from '../../scheduler/postcheck.ts';
import { measureProgress } from '../../scheduler/progress.ts';
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
      const pace = running ? await measureNightPace(rt, { runDate, now }) : undefined;
      if (values.json) {
        const projection = pace && {
          ...pace.projection,
          etaSeconds: etaSeconds(pace.projection, now) ?? null,
        };
        io.stdout.write(
          `${JSON.stringify({ ...report, ...(progress ? { progress, projection } : {}) }, null, 2)}\n`,
        );
        return EXIT.ok;
      }
      io.stdout.write(formatCoverageReport(report, { maxPrompts: 50 }));
      if (progress)
        io.stdout.write(
          `\n${formatProgress(progress, rt.config.timezone, { projection: pace?.projection })}`,
        );
      return EXIT.ok;
    });
  },
};
