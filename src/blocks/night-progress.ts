import { isProviderName } from '../providers/types.ts';
import type { NightProjection } from '../scheduler/night-projection.ts';
import type { Progress } from '../scheduler/progress.ts';
import type { NightProgress } from './types.ts';

/** Pure: the scheduler's progress measure in the shape the views draw (only while work is live). */
export function toNightProgress(
  progress: Progress,
  projection?: NightProjection | undefined,
): NightProgress | undefined {
  if (progress.live === 0) return undefined;
  const count = (c: { total: number; done: number; failed: number }) => ({
    total: c.total,
    done: c.done,
    failed: c.failed,
  });
  return {
    runDate: progress.runDate,
    ...(progress.startedAt ? { startedAt: progress.startedAt } : {}),
    overall: count(progress),
    providers: progress.byProvider.flatMap((p) =>
      isProviderName(p.provider) ? [{ provider: p.provider, ...count(p) }] : [],
    ),
    orgs: progress.byOrg.map((o) => ({ orgId: o.orgId, name: o.name, ...count(o) })),
    ...(progress.ratePerMinute > 0 ? { ratePerMinute: progress.ratePerMinute } : {}),
    ...(projection ? { projection } : {}),
  };
}
