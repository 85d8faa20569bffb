import type { types } from '@slack/bolt';
import type { ProviderName } from '../providers/types.ts';
import type { UnitScope } from '../queue/run-scope.ts';
import type { NightProjection } from '../scheduler/night-projection.ts';

/** What a view gives to Slack: a fallback text and the blocks. */
export type SlackMessage = { text?: string; blocks?: (types.KnownBlock | types.Block)[] };

/** Inputs of the views that are not a CoverageReport. Views take data in and return Block Kit. */

export type { HistoryEntry, NightSummary } from '../scheduler/history.ts';

export interface ProgressCount {
  total: number;
  /** Finished, successfully or not. */
  done: number;
  /** Of `done`, the ones that failed. */
  failed: number;
}

/** A night (or repair) while its tasks run. */
export interface NightProgress {
  runDate: string;
  startedAt?: Date;
  overall: ProgressCount;
  providers: ({ provider: ProviderName } & ProgressCount)[];
  /** Per org; the views show the ones with the most work left. */
  orgs?: ({ orgId: string; name: string } & ProgressCount)[];
  /** Units finished per minute lately; with it the views show an ETA. */
  ratePerMinute?: number;
  /** The projected finish per provider pace and rpm limit (night-projection.ts): replaces the ETA. */
  projection?: NightProjection;
}

/** A repair shown on the morning report while it runs and after. */
export interface RepairState {
  /** Slack user id (U123), `slack:U123`, or another actor label such as `cron`. */
  userId: string;
  startedAt: Date;
  units: number;
  done: number;
  failed?: number;
  /** Set once no task of the repair is live. */
  finishedAt?: Date;
}

/** One result of "Verify all providers are accessible". */
export interface ProviderCheck {
  provider: ProviderName | string;
  ok: boolean;
  /** One short sentence: "answered in 230 ms", "401 invalid API key". */
  detail: string;
}

export interface OrgChoice {
  id: string;
  name: string;
  slug?: string;
}

/** What a rerun enqueued (src/scheduler/rerun.ts RerunResult fits this shape). */
export interface RerunOutcome {
  org: { name: string; slug?: string };
  runDate: string;
  scope: UnitScope;
  provider?: string | undefined;
  tasks: number;
  byProvider: Record<string, number>;
  notEligible?: string | undefined;
  /** What the enqueued units should cost (cost-math.ts estimateUsd). */
  estimatedUsd?: number | undefined;
}
