import { withRuntime } from '../../app/runtime.ts';
import { parseCommandArgs } from '../../args/command-args.ts';
import { plural } from '../../blocks/text-report.ts';
import { EXIT } from '../../exit-codes.ts';
import type { RetentionCandidate } from '../../queue/prune-night.ts';
import { type RetentionResult, runRetention } from '../../scheduler/retention.ts';
import type { CliCommand } from '../command.ts';

export const retentionCommand: CliCommand = {
  async run(argv, io) {
    const { values } = parseCommandArgs(argv, { 'dry-run': { type: 'boolean' }, json: { type: 'boolean' } });
    return withRuntime(io.env, async (rt) => {
      const result = await runRetention(rt, { dryRun: Boolean(values['dry-run']) });
      io.stdout.write(values.json ? `${JSON.stringify(result, null, 2)}\n` : formatRetention(result));
      return result.failed.length > 0 ? EXIT.problem : EXIT.ok;
    });
  },
};

const KEPT = { no_postcheck: 'no postcheck recorded yet', live_tasks: 'tasks still live' } as const;

function what(night: RetentionCandidate, dryRun: boolean): string {
  if (night.keptBecause) return `${night.runDate}  kept: ${KEPT[night.keptBecause]}`;
  const verb = dryRun ? 'would remove' : 'removed';
  if (night.tasks + night.jobs + night.responseRows === 0)
    return `${night.runDate}  ${verb} its empty partitions`;
  const parts = [
    night.queue && `${plural(night.tasks, 'task')} and ${plural(night.jobs, 'job')}`,
    night.responses && plural(night.responseRows, 'response'),
  ].filter(Boolean);
  return `${night.runDate}  ${verb} ${parts.join(' and ')}`;
}

export function formatRetention(result: RetentionResult): string {
  if (!result.enabled) return 'Retention is off (QUEUE_RETENTION_DAYS is not set): every night is kept.\n';
  const lines = result.nights.map((n) => what(n, result.dryRun));
  const failed = result.failed.map((f) => `${f.runDate}  not pruned this time: ${f.error}`);
  const head = result.dryRun
    ? `Retention, dry run: ${plural(result.nights.filter((n) => !n.keptBecause).length, 'night')} would be pruned.`
    : `Retention: ${plural(result.pruned.length, 'night')} pruned.`;
  return `${[head, ...lines, ...failed].join('\n')}\n`;
}
