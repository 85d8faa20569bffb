import { Blocks, Elements, Message } from 'slack-block-builder';
import type { LateStep } from '../scheduler/late-step-rules.ts';
import { actorLabel, runDateLabel, slackTime } from './format.ts';
import { ACTION_IDS } from './ids.ts';
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

/** A past night that was owed and never ran: how to backfill it, or Acknowledge (admins). */
export function missedNightMessage(runDate: string) {
  const text = `⚠️ Missed: the night of ${runDateLabel(runDate)} never ran (no trigger is recorded). Backfill it with \`sched trigger --date ${runDate}\`, or press Acknowledge if it will not be run: /healthz flags it until then.`;
  return Message({ text })
    .blocks(
      Blocks.Section({ text }),
      Blocks.Actions().elements(
        Elements.Button({ text: 'Acknowledge', actionId: ACTION_IDS.ackNight, value: runDate }),
      ),
    )
    .buildToObject();
}

/** The answer to an Acknowledge, in the alert's channel: who acknowledged which night. */
export function nightAcknowledgedMessage(ack: { runDate: string; ackedBy: string; created: boolean }) {
  const who = actorLabel(ack.ackedBy);
  return sentenceMessage(
    ack.created
      ? `✅ The missed night of ${runDateLabel(ack.runDate)} was acknowledged by ${who}; it is no longer flagged.`
      : `The missed night of ${runDateLabel(ack.runDate)} was already acknowledged by ${who}.`,
  );
}
