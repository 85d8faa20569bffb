import { withRuntime } from '../../app/runtime.ts';
import { parseCommandArgs, runDateOption } from '../../args/command-args.ts';
import { SCOPE_FLAG_OPTIONS, scopeFromFlags } from '../../args/scope-flags.ts';
import { estimateText } from '../../blocks/cost-lines.ts';
import { formatEnqueued, NOTHING_TO_ENQUEUE } from '../../blocks/text-report.ts';
import { usageError } from '../../errors.ts';
import { EXIT } from '../../exit-codes.ts';
import { findOrgExactly } from '../../orgs/find-org.ts';
import { describeScope } from '../../queue/run-scope.ts';
import { rerunOrg } from '../../scheduler/rerun.ts';
import { cliActor } from '../actor.ts';
import type { CliCommand } from '../command.ts';

export const rerunCommand: CliCommand = {
  async run(argv, io) {
    const { values, positionals } = parseCommandArgs(
      argv,
      {
        ...SCOPE_FLAG_OPTIONS,
        date: { type: 'string' },
        json: { type: 'boolean' },
        confirm: { type: 'boolean' },
      },
      true,
    );
    // `sched rerun Acme Analytics` works without quotes.
    const query = positionals.join(' ').trim();
    if (query === '') throw usageError('which org? give its name, slug or id');
    // A bad scope is refused before the database is opened.
    const scope = scopeFromFlags(values);
    return withRuntime(io.env, async (rt) => {
      const runDate = runDateOption(values.date, rt.clock(), rt.config.timezone);
      // Only an exact id, slug or name runs: a guess is a usage error with the suggestions.
      const match = await findOrgExactly(rt.db, { query });
      if (match.kind === 'guess') {
        const asked = query.slice(0, 80);
        const names = match.suggestions.map((o) => `${o.name} (${o.slug})`).join(', ');
        throw usageError(
          names
            ? `No organization is named exactly "${asked}". Did you mean: ${names}? Give the slug or the exact name.`
            : `No organization matches "${asked}", and there is none to suggest.`,
        );
      }
      const result = await rerunOrg(rt, {
        orgId: match.org.id,
        runDate,
        scope: scope.units,
        provider: scope.provider,
        triggeredBy: cliActor(io.env),
        confirmFresh: values.confirm,
      });
      if (values.json) {
        io.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
        return EXIT.ok;
      }
      const outcome =
        result.tasks > 0
          ? `enqueued ${formatEnqueued(result)}, ${estimateText(result.estimatedUsd)}`
          : (result.notEligible ?? `nothing to enqueue: ${NOTHING_TO_ENQUEUE[scope.units]}`);
      io.stdout.write(
        `Rerun of ${match.org.name} (${match.org.slug}) for ${runDate}, ${describeScope(scope)}: ${outcome}.\n`,
      );
      return EXIT.ok;
    });
  },
};
