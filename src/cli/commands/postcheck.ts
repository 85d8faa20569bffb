import { withRuntime } from '../../app/runtime.ts';
import { cliStepDeps } from '../../app/step-deps.ts';
import { parseCommandArgs, runDateOption } from '../../args/command-args.ts';
import { hasScopeFlags, SCOPE_FLAG_OPTIONS, scopeFromFlags } from '../../args/scope-flags.ts';
import { estimateText } from '../../blocks/cost-lines.ts';
import { formatCoverageReport, formatEnqueued, NOTHING_TO_ENQUEUE } from '../../blocks/text-report.ts';
import { usageError } from '../../errors.ts';
import { EXIT } from '../../exit-codes.ts';
import { DEFAULT_SCOPE, describeScope } from '../../queue/run-scope.ts';
import { describePublished, postcheckStep } from '../../scheduler/postcheck-step.ts';
import { cliActor } from '../actor.ts';
import type { CliCommand } from '../command.ts';

export const postcheckCommand: CliCommand = {
  async run(argv, io) {
    const { values } = parseCommandArgs(argv, {
      ...SCOPE_FLAG_OPTIONS,
      date: { type: 'string' },
      repair: { type: 'boolean' },
      confirm: { type: 'boolean' },
      json: { type: 'boolean' },
    });
    // A scope narrows a repair: without --repair it would silently do nothing, so it is refused.
    if (!values.repair && (hasScopeFlags(values) || values.confirm))
      throw usageError('--failed, --all, --provider and --confirm go with --repair');
    const repairScope = values.repair ? scopeFromFlags(values) : undefined;
    return withRuntime(io.env, async (rt) => {
      const runDate = runDateOption(values.date, rt.clock(), rt.config.timezone);
      const triggeredBy = cliActor(io.env);
      // The same step as the scheduler and the HTTP endpoint: record, repair, post or edit the report.
      const result = await postcheckStep(await cliStepDeps(rt), {
        runDate,
        triggeredBy,
        repair: values.repair === true,
        repairScope,
        confirmFresh: values.confirm,
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
        const scope = repairScope ?? DEFAULT_SCOPE;
        io.stdout.write(
          repair.tasks > 0
            ? `\nRepair (${describeScope(scope)}): enqueued ${formatEnqueued(repair)}, ${estimateText(repair.estimatedUsd)}. Run \`sched worker --drain\` (or wait for the workers); the worker that finishes the last task re-measures the night and edits the report.\n`
            : `\nRepair (${describeScope(scope)}): nothing to enqueue: ${NOTHING_TO_ENQUEUE[scope.units]}.\n`,
        );
      }
      return EXIT.ok;
    });
  },
};
