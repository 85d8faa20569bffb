import { describeScope } from '../queue/run-scope.ts';
import { estimateText } from './cost-lines.ts';
import { actorLabel, formatByProvider, inlineText, plural, shortRunDateLabel } from './format.ts';
import { sentenceMessage } from './sentence-message.ts';
import type { RerunOutcome } from './types.ts';

export interface RerunResultInput {
  outcome: RerunOutcome;
  userId: string;
}

/** What a rerun enqueued, or why it enqueued nothing. */
export function rerunResultMessage({ outcome, userId }: RerunResultInput) {
  const org = `*${inlineText(outcome.org.name, 200)}*`;
  const day = shortRunDateLabel(outcome.runDate);
  if (outcome.notEligible)
    return sentenceMessage(`⚠️ Nothing to rerun: ${inlineText(outcome.notEligible, 400)}.`);
  const scope = describeScope({ units: outcome.scope, provider: outcome.provider });
  if (outcome.tasks === 0) {
    const why = NOTHING_TO_RERUN[outcome.scope];
    return sentenceMessage(`✅ Nothing to rerun for ${org} on ${day} (${scope}): ${why}.`);
  }
  return sentenceMessage(
    `🔁 Rerun of ${org} for ${day} started by ${actorLabel(userId)}: ${plural(outcome.tasks, 'unit')} (${formatByProvider(outcome.byProvider)}), ${scope}${outcome.estimatedUsd === undefined ? '' : `, ${estimateText(outcome.estimatedUsd)}`}.`,
  );
}

const NOTHING_TO_RERUN: Record<RerunOutcome['scope'], string> = {
  missing: 'every prompt already ran or is already queued',
  failed: 'no prompt ended in a final failure, or it is already queued again',
  all: 'every prompt is already queued or running',
};
