import { SchedError, usageError } from '../../errors.ts';
import { findOrg } from '../../orgs/find-org.ts';
import { rerunOrg } from '../../scheduler/rerun.ts';
import { cliActor } from '../actor.ts';
import type { CliCommand } from '../command.ts';
import { parseCommandArgs } from '../command.ts';
import { formatEnqueued } from '../format-report.ts';
import { runDateOption } from '../run-date-option.ts';
import { withRuntime } from '../runtime.ts';

export const rerunCommand: CliCommand = {
  name: 'rerun',
  summary: "rerun one org's missing prompts (or all of them with --all) for a run date",
  usage: 'sched rerun <org name | slug | id> [--all] [--date YYYY-MM-DD] [--json]',
  async run(argv, io) {
    const { values, positionals } = parseCommandArgs(
      argv,
      { all: { type: 'boolean' }, date: { type: 'string' }, json: { type: 'boolean' } },
      true,
    );
    // `sched rerun Acme Analytics` works without quotes.
    const query = positionals.join(' ').trim();
    if (query === '') throw usageError('which org? give its name, slug or id');
    return withRuntime(io.env, async (rt) => {
      const runDate = runDateOption(values.date, rt.clock(), rt.config.timezone);
      const match = await findOrg(rt.db, query);
      if (match.kind === 'none') {
        const closest = match.closest.length ? ` Closest: ${match.closest.join(', ')}.` : '';
        throw new SchedError('not_found', `No organization matches "${query.slice(0, 80)}".${closest}`);
      }
      if (match.kind === 'ambiguous') {
        const names = match.candidates.map((o) => `${o.name} (${o.slug})`).join(', ');
        throw new SchedError(
          'ambiguous',
          `"${query.slice(0, 80)}" matches several organizations: ${names}. Use the slug.`,
        );
      }
      const scope = values.all ? 'all' : 'missing';
      const result = await rerunOrg(rt, {
        orgId: match.org.id,
        runDate,
        scope,
        triggeredBy: cliActor(io.env),
      });
      if (values.json) {
        io.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
        return 0;
      }
      const what = scope === 'all' ? 'every prompt' : 'missing prompts only';
      const outcome =
        result.tasks > 0
          ? `enqueued ${formatEnqueued(result)}`
          : (result.notEligible ?? 'nothing to enqueue: every unit already succeeded or is queued');
      io.stdout.write(
        `Rerun of ${match.org.name} (${match.org.slug}) for ${runDate}, ${what}: ${outcome}.\n`,
      );
      return 0;
    });
  },
};
