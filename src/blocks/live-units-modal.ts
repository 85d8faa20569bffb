import { Blocks, Elements, Modal, setIfTruthy } from 'slack-block-builder';
import type { LiveUnit } from '../queue/live-units.ts';
import { count, inlineText, packLines, plural, runDateLabel } from './format.ts';
import { ACTION_IDS, BLOCK_IDS, CALLBACK_IDS } from './ids.ts';
import { liveUnitLine } from './live-units.ts';
import { PROVISIONAL } from './progress-blocks.ts';
import { encodePageValue } from './values.ts';

/** Every unit of a running night not answered yet, 50 per page: the list behind its "Show all". */

export const LIVE_UNITS_PER_PAGE = 50;
const PREVIEW_CHARS = 150;

export interface LiveUnitsModalInput {
  runDate: string;
  /** Zero-based, already within the pages. */
  page: number;
  /** Units not answered yet in all, from the counts. */
  left: number;
  units: LiveUnit[];
  orgNames: ReadonlyMap<string, string>;
}

export const livePageCount = (left: number) => Math.max(1, Math.ceil(left / LIVE_UNITS_PER_PAGE));

export function liveUnitsModal(input: LiveUnitsModalInput) {
  const { runDate, page, left, units } = input;
  const pages = livePageCount(left);
  const first = page * LIVE_UNITS_PER_PAGE;
  const lines = units.map(
    (u) => `*${inlineText(input.orgNames.get(u.orgId) ?? u.orgId, 80)}* ${liveUnitLine(u, PREVIEW_CHARS)}`,
  );
  const range =
    units.length === 0
      ? 'Every unit is answered.'
      : `Showing ${count(first + 1)}–${count(first + units.length)} of ${plural(left, 'unit')} not answered yet (page ${page + 1} of ${pages}).`;
  const value = (p: number) => encodePageValue({ runDate, page: p });
  return Modal({
    title: 'Not answered yet',
    close: 'Close',
    callbackId: CALLBACK_IDS.liveUnitsModal,
    privateMetaData: runDate,
  })
    .blocks(
      Blocks.Section({ text: `*${runDateLabel(runDate)}* · ${range}` }),
      Blocks.Context().elements(`⏳ ${PROVISIONAL}.`),
      packLines(lines).map((text) => Blocks.Section({ text })),
      setIfTruthy(
        pages > 1,
        Blocks.Actions({ blockId: BLOCK_IDS.livePaging }).elements(
          setIfTruthy(
            page > 0,
            Elements.Button({
              text: '← Previous',
              actionId: ACTION_IDS.livePagePrev,
              value: value(page - 1),
            }),
          ),
          setIfTruthy(
            page < pages - 1,
            Elements.Button({ text: 'Next →', actionId: ACTION_IDS.livePageNext, value: value(page + 1) }),
          ),
        ),
      ),
    )
    .buildToObject();
}
