import { withRuntime } from '../../app/runtime.ts';
import { parseCommandArgs } from '../../args/command-args.ts';
import { EXIT } from '../../exit-codes.ts';
import type { CliCommand } from '../command.ts';

export const migrateCommand: CliCommand = {
  async run(argv, io) {
    parseCommandArgs(argv, {});
    await withRuntime(io.env, async (rt) => {
      io.stdout.write(`migrations applied (${rt.database.kind})\n`);
    });
    return EXIT.ok;
  },
};
