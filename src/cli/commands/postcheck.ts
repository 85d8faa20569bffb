import { parseCommandArgs, runDateOption } from '../../command-args.ts';
import { EXIT } from '../../exit-codes.ts';
import { withRuntime } from '../../runtime.ts';
import { describePublished, postcheckStep } from '../../scheduler/postcheck-step.ts';
import { estimateText } from '../../views/cost-lines.ts';
import { formatCoverageReport, formatEnqueued } from '../../views/text-report.ts';
import { cliActor } from '../actor.ts';
import type { CliCommand } from '../command.ts';
import { cliStepDeps } from '../step-deps.ts';

export const postcheckCommand: CliCommand = {
  async run(argv, io) {
    const { values } = parseCommandArgs(argv, {
      date: { type: 'string' },
      repair: { type: 'boolean' },
      json: { type: 'boolean' },
    });
    return withRuntime(io.env, async (rt) => {
      const runDate = runDateOption(values.date, rt.clock(), rt.config.timezone);
      const triggeredBy = cliActor(io.env);
      // The same step as the scheduler and the HTTP endpoint: record, repair, post or edit the report.
      const result = await postcheckStep(await cliStepDeps(rt), {
        runDate,
        triggeredBy,
        repair: values.repair === true,
      });
      const { report, runId, repair, autoRepair, published } = result;
      const slack = describePublished(published);
      if (values.json) {
        const body = {
          ...report,
          runId,
          ...(repair ? { repair } : {}),
          ...(autoRepair ? { autoRepair } : {}),
        };
        io.stdout.write(`${JSON.stringify({ ...body, slackReport: published }, null, 2)}\n`);
        if (slack) io.stderr.write(`${slack}\n`);
        return EXIT.ok;
      }
      io.stdout.write(formatCoverageReport(report));
      if (slack) io.stdout.write(`\n${slack}\n`);
      if (repair) {
        io.stdout.write(
          repair.tasks > 0
            ? `\nRepair: enqueued ${formatEnqueued(repair)}, ${estimateText(repair.estimatedUsd)}. Run \`sched worker --drain\` (or wait for the workers); the worker that finishes the last task re-measures the night and edits the report.\n`
            : '\nRepair: nothing to enqueue (every missing unit already has a queued or running task).\n',
        );
      }
      return EXIT.ok;
    });
  },
};
