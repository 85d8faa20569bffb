import { withRuntime } from '../../app/runtime.ts';
import { parseCommandArgs } from '../../args/command-args.ts';
import { plural } from '../../blocks/text-report.ts';
import { EXIT } from '../../exit-codes.ts';
import { runReconciler } from '../../scheduler/reconciler.ts';
import { cliActor } from '../actor.ts';
import type { CliCommand } from '../command.ts';

export const reconcileCommand: CliCommand = {
  async run(argv, io) {
    const { values } = parseCommandArgs(argv, { json: { type: 'boolean' } });
    return withRuntime(io.env, async (rt) => {
      const result = await runReconciler(rt, { triggeredBy: cliActor(io.env) });
      if (values.json) {
        io.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
        return EXIT.ok;
      }
      const changes = [
        result.requeued && `${plural(result.requeued, 'expired lease')} requeued`,
        result.failed && `${plural(result.failed, 'task')} failed (attempts used up)`,
        result.jobsStarted && `${plural(result.jobsStarted, 'job')} started`,
        result.jobsCompleted && `${plural(result.jobsCompleted, 'job')} completed`,
        result.jobsCancelled && `${plural(result.jobsCancelled, 'job')} cancelled`,
        result.cancelled && `${plural(result.cancelled, 'task')} no longer expected cancelled`,
      ].filter(Boolean);
      io.stdout.write(
        changes.length ? `Reconciled: ${changes.join(', ')}.\n` : 'Reconciled: nothing to change.\n',
      );
      return EXIT.ok;
    });
  },
};
