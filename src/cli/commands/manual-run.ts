import { withRuntime } from '../../app/runtime.ts';
import { parseCommandArgs, runDateOption } from '../../args/command-args.ts';
import { formatEnqueued } from '../../blocks/text-report.ts';
import { EXIT } from '../../exit-codes.ts';
import { runManualDaily } from '../../scheduler/manual-run.ts';
import { cliActor } from '../actor.ts';
import type { CliCommand } from '../command.ts';

export const manualRunCommand: CliCommand = {
  async run(argv, io) {
    const { values } = parseCommandArgs(argv, { date: { type: 'string' }, json: { type: 'boolean' } });
    return withRuntime(io.env, async (rt) => {
      const runDate = runDateOption(values.date, rt.clock(), rt.config.timezone);
      const result = await runManualDaily(rt, { runDate, triggeredBy: cliActor(io.env) });
      io.stdout.write(
        values.json
          ? `${JSON.stringify(result, null, 2)}\n`
          : `Manual run for ${runDate}: enqueued ${formatEnqueued(result)}.\n`,
      );
      return EXIT.ok;
    });
  },
};
