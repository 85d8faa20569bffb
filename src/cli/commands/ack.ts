import { withRuntime } from '../../app/runtime.ts';
import { parseCommandArgs } from '../../args/command-args.ts';
import { usageError } from '../../errors.ts';
import { EXIT } from '../../exit-codes.ts';
import { acknowledgeMissedNight } from '../../scheduler/missed-nights.ts';
import { parseRunDate } from '../../time/business-day.ts';
import { cliActor } from '../actor.ts';
import type { CliCommand } from '../command.ts';

/** `sched ack <date>`: a missed night is known and will not be backfilled; it stops being flagged. */
export const ackCommand: CliCommand = {
  async run(argv, io) {
    const { positionals } = parseCommandArgs(argv, {}, true);
    const [date, ...extra] = positionals;
    if (date === undefined) throw usageError('which night? give its date as YYYY-MM-DD');
    if (extra.length > 0) throw usageError(`unexpected argument "${String(extra[0]).slice(0, 40)}"`);
    const runDate = parseRunDate(date);
    if (!runDate)
      throw usageError(`a night is a real calendar date as YYYY-MM-DD, not "${date.slice(0, 40)}"`);
    const by = cliActor(io.env);
    return withRuntime(io.env, async (rt) => {
      const ack = await acknowledgeMissedNight(rt, { runDate, by });
      rt.logger.info({ runDate, by, created: ack.created }, 'missed night acknowledged');
      io.stdout.write(
        ack.created
          ? `${runDate}: acknowledged as missed by ${ack.ackedBy}; it is no longer flagged.\n`
          : `${runDate}: already acknowledged by ${ack.ackedBy} at ${ack.ackedAt}.\n`,
      );
      return EXIT.ok;
    });
  },
};
