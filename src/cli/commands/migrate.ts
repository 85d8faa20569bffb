import type { CliCommand } from '../command.ts';
import { parseCommandArgs } from '../command.ts';
import { withRuntime } from '../runtime.ts';

export const migrateCommand: CliCommand = {
  async run(argv, io) {
    parseCommandArgs(argv, {});
    await withRuntime(io.env, async (rt) => {
      io.stdout.write(`migrations applied (${rt.database.kind})\n`);
    });
    return 0;
  },
};
