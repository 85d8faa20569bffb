import { inlineText } from './format.ts';
import { sentenceMessage } from './sentence-message.ts';

/** What a user sees when something failed: one clear sentence; the detail goes to the logs. */
export function errorMessage(sentence: string) {
  return sentenceMessage(`⚠️ ${inlineText(sentence, 500)}`);
}
