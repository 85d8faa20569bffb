import { withRuntime } from '../../app/runtime.ts';
import { parseCommandArgs, runDateOption } from '../../args/command-args.ts';
import { formatEnqueued, localTime } from '../../blocks/text-report.ts';
import { EXIT } from '../../exit-codes.ts';
import { runTrigger } from '../../scheduler/trigger.ts';
import { cliActor } from '../actor.ts';
import type { CliCommand } from '../command.ts';

export const triggerCommand: CliCommand = {
  async run(argv, io) {
    const { values } = parseCommandArgs(argv, { date: { type: 'string' }, json: { type: 'boolean' } });
    return withRuntime(io.env, async (rt) => {
      const runDate = runDateOption(values.date, rt.clock(), rt.config.timezone);
      const result = await runTrigger(rt, { runDate, triggeredBy: cliActor(io.env), scheduled: false });
      if (values.json) io.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
      if (result.status === 'nothing_enqueued') {
        io.stderr.write(
          `sched trigger: ${runDate} enqueued nothing: ${result.reason.message}. The night is not done: ` +
            'enable a provider and trigger again.\n',
        );
        return EXIT.problem;
      }
      if (values.json) return EXIT.ok;
      if (result.status === 'triggered') {
        io.stdout.write(`Triggered ${runDate}: enqueued ${formatEnqueued(result)}.\n`);
      } else {
        io.stdout.write(
          `${runDate} was already triggered at ${localTime(result.at, rt.config.timezone)} by ${result.triggeredBy} ` +
            `(${result.runStatus}); nothing created. Use \`sched postcheck --repair\` to run what is missing.\n`,
        );
      }
      return EXIT.ok;
    });
  },
};
