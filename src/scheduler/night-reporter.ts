import type { Deps } from '../context.ts';
import type { CoverageReport } from '../coverage/types.ts';
import type { RunScope } from '../queue/run-scope.ts';
import type { SnoozeRow } from '../store/snoozes.ts';
import type { WarningDecision } from './early-warning-rules.ts';
import type { LateStep } from './late-step-rules.ts';

/**
 * Where a night's report goes (the morning report in Slack). The scheduler's steps call it and
 * never import Slack; src/report/slack-night-reporter.ts is the Slack implementation, and a process
 * without Slack credentials has none (its steps say so instead of posting).
 */

export type PublishOutcome =
  | { action: 'posted' | 'updated'; channel: string; ts: string }
  /** The recorded message no longer existed (deleted, or a console restart): a fresh one was posted. */
  | { action: 'reposted'; channel: string; ts: string; gone: string }
  | { action: 'not_posted'; reason: string }
  | { action: 'failed'; reason: string }
  /** Left to the scheduler's deliveries, which post it apart from the step (deliveries.ts). */
  | { action: 'deferred' };

export interface NightReporter {
  /** Posts the night's report, or edits the one already posted: one message per night and channel. */
  publish(runDate: string, report: CoverageReport): Promise<PublishOutcome>;
  /**
   * The night's numbers changed: edit every message of it with the latest recorded figures.
   * Coalesced and rate-bounded (at most one edit per message per interval); resolves when done.
   */
  refresh(runDate: string): Promise<void>;
  /** Posts the watchdog's "late" alert to the report channel; undefined when no channel is set. */
  alertLate(late: LateStep, now: Date): Promise<{ channel: string; ts: string } | undefined>;
  /** Posts the alert of a past night that never ran, with its Acknowledge button (admins). */
  alertMissed?(runDate: string): Promise<{ channel: string; ts: string } | undefined>;
  /**
   * Posts a night watch warning to the report channel, or edits the one posted at `edit`;
   * undefined when no channel is set.
   */
  warnNight(
    warning: NightWarning,
    edit?: { channel: string; ts: string },
  ): Promise<{ channel: string; ts: string; sentence: string } | undefined>;
  /**
   * Posts the one "snooze over" line in the thread of the latest report (top level in the report
   * channel when none is posted yet); undefined when no channel is set.
   */
  snoozeOver(snooze: SnoozeRow): Promise<{ channel: string; ts: string } | undefined>;
  /**
   * Posts how a repair or rerun ended in the thread of its night's report, naming whoever asked;
   * to the asker directly when no report of the night was posted; undefined when neither can be.
   */
  runFinished(outcome: RunOutcome): Promise<{ channel: string; ts: string } | undefined>;
}

/** A warning of the night watch (early-warning.ts), with what its words need. */
export interface NightWarning {
  runDate: string;
  decision: WarningDecision;
  now: Date;
  /** The night's postcheck while it is ahead, null after. */
  postcheckAt: Date | null;
  /** A failing provider's units that will miss the postcheck at this rate. */
  unitsAtRisk: number;
  /** When the warning was first posted (edits recall it). */
  firstRaisedAt: Date | undefined;
  /** The first post: the on-call is mentioned (an edit never notifies). */
  first: boolean;
}

/** How a repair or rerun ended (run-outcomes.ts claims it once and hands it to the reporter). */
export interface RunOutcome {
  runId: number;
  kind: 'repair' | 'rerun';
  runDate: string;
  triggeredBy: string;
  scope: RunScope;
  /** The org of a rerun. */
  org: string | undefined;
  units: number;
  done: number;
  failed: number;
  /** The night's latest recorded prompt coverage and health, when it was postchecked. */
  night: { promptPercent: number; health: string } | undefined;
}

/** Deps of a step: the reporter is absent where no Slack is configured. */
export interface StepDeps extends Deps {
  reporter?: NightReporter | undefined;
}

export const NO_SLACK: PublishOutcome = {
  action: 'not_posted',
  reason: 'no Slack credentials (SLACK_BOT_TOKEN is not set)',
};
