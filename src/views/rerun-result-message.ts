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
  if (outcome.tasks === 0) {
    const why =
      outcome.scope === 'missing'
        ? 'every prompt already ran or is already queued'
        : 'every prompt is already queued or running';
    return sentenceMessage(`✅ Nothing to rerun for ${org} on ${day}: ${why}.`);
  }
  const scope = outcome.scope === 'missing' ? 'missing prompts only' : 'all prompts';
  return sentenceMessage(
    `🔁 Rerun of ${org} for ${day} started by ${actorLabel(userId)}: ${plural(outcome.tasks, 'unit')} (${formatByProvider(outcome.byProvider)}), ${scope}${outcome.estimatedUsd === undefined ? '' : `, ${estimateText(outcome.estimatedUsd)}`}.`,
  );
}
