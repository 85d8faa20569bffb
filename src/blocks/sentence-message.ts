import { Blocks, Message } from 'slack-block-builder';

/**
 * A message that is one sentence: the same mrkdwn as top-level text (notifications, screen
 * readers) and as a section. Callers escape user text in `sentence`.
 */
export function sentenceMessage(sentence: string) {
  return Message({ text: sentence })
    .blocks(Blocks.Section({ text: sentence }))
    .buildToObject();
}
