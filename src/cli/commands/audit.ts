import { withRuntime } from '../../app/runtime.ts';
import { parseCommandArgs } from '../../args/command-args.ts';
import { auditRunDates } from '../../audit/audit-dates.ts';
import { formatAudit } from '../../audit/format-audit.ts';
import { runAudit } from '../../audit/run-audit.ts';
import { EXIT } from '../../exit-codes.ts';
import type { CliCommand } from '../command.ts';

export const auditCommand: CliCommand = {
  async run(argv, io) {
    const { values } = parseCommandArgs(argv, {
      date: { type: 'string' },
      days: { type: 'string' },
      json: { type: 'boolean' },
      fix: { type: 'boolean' },
    });
    return withRuntime(io.env, async (rt) => {
      const runDates = auditRunDates(values, rt.clock(), rt.config.timezone);
      const result = await runAudit(rt, { runDates, fix: values.fix });
      io.stdout.write(values.json ? `${JSON.stringify(result, null, 2)}\n` : formatAudit(result));
      return result.ok ? EXIT.ok : EXIT.problem;
    });
  },
};
