import { runReconciler } from '../../scheduler/reconciler.ts';
import { cliActor } from '../actor.ts';
import type { CliCommand } from '../command.ts';
import { parseCommandArgs } from '../command.ts';
import { plural } from '../format-report.ts';
import { withRuntime } from '../runtime.ts';

export const reconcileCommand: CliCommand = {
  async run(argv, io) {
    const { values } = parseCommandArgs(argv, { json: { type: 'boolean' } });
    return withRuntime(io.env, async (rt) => {
      const result = await runReconciler(rt, { triggeredBy: cliActor(io.env) });
      if (values.json) {
        io.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
        return 0;
      }
      const changes = [
        result.requeued && `${plural(result.requeued, 'expired lease')} requeued`,
        result.failed && `${plural(result.failed, 'task')} failed (attempts used up)`,
        result.jobsStarted && `${plural(result.jobsStarted, 'job')} started`,
        result.jobsCompleted && `${plural(result.jobsCompleted, 'job')} completed`,
        result.jobsCancelled && `${plural(result.jobsCancelled, 'job')} cancelled`,
      ].filter(Boolean);
      io.stdout.write(
        changes.length ? `Reconciled: ${changes.join(', ')}.\n` : 'Reconciled: nothing to change.\n',
      );
      return 0;
    });
  },
};
