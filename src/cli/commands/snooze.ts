import { type Runtime, withRuntime } from '../../app/runtime.ts';
import { parseCommandArgs } from '../../args/command-args.ts';
import { snoozeLine } from '../../blocks/snooze-lines.ts';
import { usageError } from '../../errors.ts';
import { EXIT } from '../../exit-codes.ts';
import { refreshSnoozedNight } from '../../report/refresh-snoozed-night.ts';
import { webClientFor } from '../../report/slack-night-reporter.ts';
import { snoozeFromAsk } from '../../scheduler/snooze-request.ts';
import { endSnooze, openSnoozes, type SnoozeRow } from '../../store/snoozes.ts';
import { cliActor } from '../actor.ts';
import type { CliCommand } from '../command.ts';

/**
 * sched snooze add [--provider P] [--org O] (--for 2h | --until <ISO time> | --until-success)
 *                  [--starts <ISO time>] [--reason R]
 * sched snooze list [--json]
 * sched snooze end <id>
 */

const USAGE =
  'sched snooze add [--provider P] [--org O] (--for 2h | --until <ISO time> | --until-success) [--starts <ISO time>] [--reason R] | sched snooze list [--json] | sched snooze end <id>';

/** Pure: one line per snooze for a terminal, its id first (what `end` takes). */
export function formatSnoozes(rows: SnoozeRow[], zone: string, now: Date): string {
  if (rows.length === 0) return 'No snooze is in force or planned.\n';
  const lines = rows.map((s) => {
    const later = new Date(s.startsAt).getTime() > now.getTime() ? `  (starts ${s.startsAt})` : '';
    return `${String(s.id).padStart(4)}  ${snoozeLine(s, zone, 'text', now)}${later}`;
  });
  return `${lines.join('\n')}\n`;
}

/** With Slack credentials, the reported night shows the snooze (or its end) at once. */
async function refreshReport(rt: Runtime): Promise<void> {
  const client = await webClientFor(rt.config);
  if (client) await refreshSnoozedNight({ ...rt, client });
}

export const snoozeCommand: CliCommand = {
  async run(argv, io) {
    const [sub, ...rest] = argv;
    if (sub === 'add') {
      const { values } = parseCommandArgs(rest, {
        provider: { type: 'string' },
        org: { type: 'string' },
        for: { type: 'string' },
        until: { type: 'string' },
        'until-success': { type: 'boolean' },
        starts: { type: 'string' },
        reason: { type: 'string' },
        json: { type: 'boolean' },
      });
      const ends = [values.for, values.until, values['until-success'] ? 'until-success' : undefined].filter(
        (v): v is string => v !== undefined,
      );
      if (ends.length !== 1) throw usageError('give exactly one of --for, --until or --until-success');
      const end = ends[0] as string;
      if (values.until && !/^\d{4}-\d{2}-\d{2}T/.test(values.until)) {
        throw usageError(
          `--until takes an ISO time such as 2026-03-09T06:00, not "${values.until.slice(0, 40)}"`,
        );
      }
      return withRuntime(io.env, async (rt) => {
        const outcome = await snoozeFromAsk(rt, {
          provider: values.provider,
          org: values.org,
          end,
          starts: values.starts,
          reason: values.reason,
          createdBy: cliActor(io.env),
        });
        if (!outcome.ok) throw usageError(outcome.sentence);
        await refreshReport(rt);
        if (values.json) io.stdout.write(`${JSON.stringify(outcome.snooze, null, 2)}\n`);
        else
          io.stdout.write(
            `Snooze ${outcome.snooze.id}: ${snoozeLine(outcome.snooze, rt.config.timezone, 'text', rt.clock())}.\n`,
          );
        return EXIT.ok;
      });
    }
    if (sub === 'list') {
      const { values } = parseCommandArgs(rest, { json: { type: 'boolean' } });
      return withRuntime(io.env, async (rt) => {
        const rows = await openSnoozes(rt.db, rt.clock());
        io.stdout.write(
          values.json
            ? `${JSON.stringify(rows, null, 2)}\n`
            : formatSnoozes(rows, rt.config.timezone, rt.clock()),
        );
        return EXIT.ok;
      });
    }
    if (sub === 'end') {
      const { positionals } = parseCommandArgs(rest, {}, true);
      const id = Number(positionals[0]);
      if (positionals.length !== 1 || !Number.isInteger(id) || id < 1) {
        throw usageError('give the id of the snooze to end (sched snooze list shows it)');
      }
      return withRuntime(io.env, async (rt) => {
        const outcome = await endSnooze(rt.db, { id, endedBy: cliActor(io.env), now: rt.clock() });
        if (outcome.kind === 'unknown') throw usageError(`there is no snooze ${id}`);
        if (outcome.kind === 'not_open') throw usageError(`snooze ${id} is already over`);
        await refreshReport(rt);
        io.stdout.write(
          `Snooze ${id} on ${snoozeLine(outcome.snooze, rt.config.timezone, 'text', rt.clock())} ended.\n`,
        );
        return EXIT.ok;
      });
    }
    throw usageError(`say add, list or end: ${USAGE}`);
  },
};
