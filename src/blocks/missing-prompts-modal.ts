import { Blocks, Elements, Modal, setIfTruthy } from 'slack-block-builder';
import type { CoverageReport } from '../coverage/types.ts';
import { count, inlineText, packLines, plural, runDateLabel } from './format.ts';
import { ACTION_IDS, BLOCK_IDS, CALLBACK_IDS } from './ids.ts';
import { promptLine } from './missing-orgs.ts';
import { encodePageValue } from './values.ts';

/** Every prompt that is not fully covered, 50 per page: the full list behind "Show all". */

export const PROMPTS_PER_PAGE = 50;
const PREVIEW_CHARS = 150;

export interface MissingPromptsModalInput {
  report: CoverageReport;
  /** Zero-based; past the end shows the last page. */
  page: number;
}

export const pageCount = (report: CoverageReport) =>
  Math.max(1, Math.ceil(report.incompletePrompts.length / PROMPTS_PER_PAGE));

export function missingPromptsModal(input: MissingPromptsModalInput) {
  const { report } = input;
  const prompts = report.incompletePrompts;
  const pages = pageCount(report);
  const page = Math.min(Math.max(0, Math.floor(input.page)), pages - 1);
  const first = page * PROMPTS_PER_PAGE;
  const shown = prompts.slice(first, first + PROMPTS_PER_PAGE);

  const lines: string[] = [];
  let org: string | undefined;
  for (const prompt of shown) {
    if (prompt.org_id !== org) {
      org = prompt.org_id;
      lines.push(`*${inlineText(prompt.org_name, 200)}*`);
    }
    lines.push(promptLine(prompt, PREVIEW_CHARS));
  }
  const orgs = new Set(prompts.map((p) => p.org_id)).size;
  const range =
    prompts.length === 0
      ? 'Every prompt is fully covered.'
      : `Showing ${count(first + 1)}–${count(first + shown.length)} of ${plural(prompts.length, 'prompt')} in ${plural(orgs, 'org')}, worst org first (page ${page + 1} of ${pages}).`;
  const value = (p: number) => encodePageValue({ runDate: report.runDate, page: p });

  return Modal({
    title: 'Missing prompts',
    close: 'Close',
    callbackId: CALLBACK_IDS.missingPromptsModal,
    privateMetaData: report.runDate,
  })
    .blocks(
      Blocks.Section({ text: `*${runDateLabel(report.runDate)}* · ${range}` }),
      Blocks.Context().elements('❌ no provider answered · ◐ some providers answered'),
      packLines(lines).map((text) => Blocks.Section({ text })),
      setIfTruthy(
        pages > 1,
        Blocks.Actions({ blockId: BLOCK_IDS.missingPaging }).elements(
          setIfTruthy(
            page > 0,
            Elements.Button({
              text: '← Previous',
              actionId: ACTION_IDS.missingPagePrev,
              value: value(page - 1),
            }),
          ),
          setIfTruthy(
            page < pages - 1,
            Elements.Button({ text: 'Next →', actionId: ACTION_IDS.missingPageNext, value: value(page + 1) }),
          ),
        ),
      ),
    )
    .buildToObject();
}
