import { withRuntime } from '../../app/runtime.ts';
import { parseCommandArgs } from '../../args/command-args.ts';
import { seedDemo } from '../../db/seed-demo.ts';
import { usageError } from '../../errors.ts';
import { EXIT } from '../../exit-codes.ts';
import type { CliCommand } from '../command.ts';
import { createProgress } from '../progress-line.ts';

export const seedCommand: CliCommand = {
  async run(argv, io) {
    const { values } = parseCommandArgs(argv, {
      demo: { type: 'boolean' },
      orgs: { type: 'string' },
      'prompts-per-org': { type: 'string' },
    });
    if (!values.demo) throw usageError('seed needs --demo (the only data set it knows)');
    const orgs = positiveInt(values.orgs, '--orgs');
    const promptsPerOrg = positiveInt(values['prompts-per-org'], '--prompts-per-org');
    await withRuntime(io.env, async (rt) => {
      const progress = createProgress({ label: 'seeding', unit: 'prompts', stream: io.stderr });
      const result = await seedDemo(rt.db, { orgs, promptsPerOrg, onProgress: progress.update });
      progress.stop();
      io.stdout.write(
        `demo data: ${result.organizations} organizations, ${result.prompts} prompts (${result.activePrompts} active); ` +
          `inserted now: ${result.inserted.organizations} organizations, ${result.inserted.prompts} prompts\n`,
      );
    });
    return EXIT.ok;
  },
};

function positiveInt(value: string | undefined, flag: string): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1)
    throw usageError(`${flag} must be a positive whole number, not "${value}"`);
  return n;
}
