import type { Deps } from '../context.ts';
import {
  type ProviderSettingsChange,
  type ProviderSettingsUpdate,
  updateProviderSettings,
} from '../providers/provider-settings.ts';
import type { ProviderName } from '../providers/types.ts';
import { cancelProviderTasks } from '../queue/cancel-tasks.ts';
import { closeJobs } from '../queue/close-jobs.ts';

/**
 * `sched providers set`: the one way to change a provider. Taking it out of service (disabled)
 * cancels its live tasks of every open night in the transaction that disables it, with who and
 * why, so its units stop being expected and no task is left that no worker will run; the jobs
 * those tasks leave with nothing live close at once. Enabling it again makes its units expected:
 * the report shows them missing ("enabled after the trigger") until Repair enqueues them.
 */
export async function changeProvider(
  deps: Pick<Deps, 'db' | 'clock'>,
  params: { name: ProviderName; change: ProviderSettingsChange; changedBy: string },
): Promise<ProviderSettingsUpdate | undefined> {
  const { name, changedBy } = params;
  let jobIds: string[] = [];
  const update = await updateProviderSettings(deps.db, {
    ...params,
    alongside: async (tx, after) => {
      if (after.enabled) return {};
      const cancelled = await cancelProviderTasks(tx, { provider: name, changedBy });
      jobIds = cancelled.jobIds;
      return cancelled.byRunDate;
    },
  });
  if (jobIds.length > 0) await closeJobs(deps.db, { now: deps.clock(), jobIds });
  return update;
}

/** "openai disabled: 551 live units cancelled (2026-03-09: 551)", or nothing when none were. */
export function cancelledWords(cancelled: Record<string, number>): string | undefined {
  const entries = Object.entries(cancelled);
  if (entries.length === 0) return undefined;
  const total = entries.reduce((n, [, units]) => n + units, 0);
  return `${total} live units cancelled (${entries.map(([day, units]) => `${day}: ${units}`).join(', ')})`;
}
