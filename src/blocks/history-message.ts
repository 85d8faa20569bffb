import { Blocks, Elements, Message, setIfTruthy } from 'slack-block-builder';
import type { HistoryEntry } from '../scheduler/history.ts';
import { count, plural } from './format.ts';
import { ACTION_IDS, ACTION_PREFIXES, BLOCK_IDS } from './ids.ts';
import { nightLines } from './night-line.ts';
import { encodeHistoryPage } from './values.ts';

/** /sched-history: one section per night (with a Details button), paged with Newer / Older. */

/** Nights one message shows: a section each, well within 50 blocks. */
export const HISTORY_MAX_ENTRIES = 40;

export interface HistoryMessageInput {
  /** This page's nights, newest first (listHistory with offset page * pageSize). */
  entries: HistoryEntry[];
  /** Zero-based. */
  page: number;
  pageSize: number;
  /** How many nights the user asked for in all. */
  totalDays: number;
  /** Zone for date fallbacks; readers see their own zone. */
  timezone?: string;
}

export const openNightButton = (runDate: string) =>
  Elements.Button({ text: 'Details', actionId: `${ACTION_PREFIXES.openNight}${runDate}`, value: runDate });

export function historyMessage(input: HistoryMessageInput) {
  const { entries, page, pageSize, totalDays } = input;
  const zone = input.timezone ?? 'UTC';
  const shown = entries.slice(0, HISTORY_MAX_ENTRIES);
  const hidden = entries.length - shown.length;
  const first = page * pageSize + 1;
  const hasOlder = (page + 1) * pageSize < totalDays && entries.length >= pageSize;
  const healthy = entries.filter((e) => e.health === 'HEALTHY').length;
  const attention = entries.filter((e) => e.health === 'NEEDS_ATTENTION').length;
  // "3 nights in the last 14 days: 2 healthy, 1 needing attention." on one page; a page among
  // several says where it stands: "Nights 11–20 of the last 30 days, newest first: …".
  const onePage = page === 0 && !hasOlder;
  const nights = onePage
    ? `${plural(entries.length, 'night')} ${totalDays === 1 ? 'today' : `in the last ${count(totalDays)} days`}`
    : `${entries.length === 1 ? `Night ${count(first)}` : `Nights ${count(first)}–${count(first + entries.length - 1)}`} of the last ${count(totalDays)} days`;
  const order = entries.length > 1 ? ', newest first' : '';
  const tally = [
    healthy > 0 ? `${count(healthy)} healthy` : '',
    attention > 0 ? `${count(attention)} needing attention` : '',
  ].filter(Boolean);
  const summary =
    entries.length === 0
      ? 'No nights recorded yet.'
      : `${nights}${order}${tally.length > 0 ? `: ${tally.join(', ')}` : ''}.`;
  const pageValue = (p: number) => encodeHistoryPage({ page: p, pageSize, totalDays });

  return Message({ text: `Nightly history. ${summary}` })
    .blocks(
      Blocks.Header({ text: 'Nightly history' }),
      Blocks.Context().elements(summary),
      shown.map((entry) => {
        const section = Blocks.Section({ text: nightLines(entry, zone) });
        return entry.latest ? section.accessory(openNightButton(entry.runDate)) : section;
      }),
      setIfTruthy(
        hidden > 0,
        Blocks.Context().elements(`+${plural(hidden, 'more night')} on this page: use a smaller page size.`),
      ),
      setIfTruthy(
        page > 0 || hasOlder,
        Blocks.Actions({ blockId: BLOCK_IDS.historyPaging }).elements(
          setIfTruthy(
            page > 0,
            Elements.Button({
              text: '← Newer',
              actionId: ACTION_IDS.historyNewer,
              value: pageValue(page - 1),
            }),
          ),
          setIfTruthy(
            hasOlder,
            Elements.Button({
              text: 'Older →',
              actionId: ACTION_IDS.historyOlder,
              value: pageValue(page + 1),
            }),
          ),
        ),
      ),
    )
    .buildToObject();
}
