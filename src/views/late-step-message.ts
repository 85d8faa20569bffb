import type { LateStep } from '../scheduler/late-steps.ts';
import { runDateLabel, slackTime } from './format.ts';
import { sentenceMessage } from './sentence-message.ts';

/**
 * The watchdog's alert in the report channel: which step of which night is late, since when, and
 * where to look. Posted once per night and step, by whichever live instance noticed first.
 */
export function lateStepMessage(late: LateStep, zone: string, now: Date) {
  const minutes = Math.floor((now.getTime() - late.dueAt.getTime()) / 60_000);
  const due = `it was due at ${slackTime(late.dueAt, zone)}, ${minutes} minutes ago`;
  const night = runDateLabel(late.runDate);
  const sentence =
    late.step === 'trigger'
      ? `⏰ Late: the nightly trigger of ${night} has not started (${due}). Check /healthz and the scheduler log; \`sched trigger\` starts it by hand.`
      : `⏰ Late: the postcheck of ${night} has not finished (${due}), so no morning report is out yet. Check /healthz and the scheduler log; \`sched postcheck\` runs it by hand.`;
  return sentenceMessage(sentence);
}
