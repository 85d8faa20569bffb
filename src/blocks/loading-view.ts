import { Blocks, Modal } from 'slack-block-builder';

/**
 * Modals that must open within Slack's three seconds (a trigger_id expires) before their content
 * is known: they open with this view at once and are filled with views.update. A refusal or a
 * missing record replaces it with one sentence (`noticeModal`).
 */

/** Slack's limit on a modal title. */
const TITLE_MAX = 24;
const title = (text: string) => (text.length > TITLE_MAX ? `${text.slice(0, TITLE_MAX - 1)}…` : text);

export function loadingModal(heading: string) {
  return Modal({ title: title(heading), close: 'Close' })
    .blocks(Blocks.Section({ text: ':hourglass_flowing_sand: Loading…' }))
    .buildToObject();
}

/** One sentence in a modal; callers escape user text in `sentence`. */
export function noticeModal(heading: string, sentence: string) {
  return Modal({ title: title(heading), close: 'Close' })
    .blocks(Blocks.Section({ text: sentence }))
    .buildToObject();
}
