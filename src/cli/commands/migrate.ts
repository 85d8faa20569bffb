import { parseCommandArgs } from '../../command-args.ts';
import { EXIT } from '../../exit-codes.ts';
import { withRuntime } from '../../runtime.ts';
import type { CliCommand } from '../command.ts';

export const migrateCommand: CliCommand = {
  name: 'migrate',
  summary: 'apply the SQL migrations in drizzle/ (also done at every start)',
  usage: 'sched migrate',
  async run(argv, io) {
    parseCommandArgs(argv, {});
    await withRuntime(io.env, async (rt) => {
      io.stdout.write(`migrations applied (${rt.database.kind})\n`);
    });
    return EXIT.ok;
  },
};
