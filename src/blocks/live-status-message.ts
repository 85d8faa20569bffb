import { Blocks, Elements, Message, setIfTruthy } from 'slack-block-builder';
import type { LiveUnit } from '../queue/live-units.ts';
import { LIVE_MAX_ORGS, type LiveOrg } from '../scheduler/live-status.ts';
import { count, inlineText, packLines, plural, runDateLabel } from './format.ts';
import { ACTION_IDS, BLOCK_IDS } from './ids.ts';
import { liveUnitLine } from './live-units.ts';
import { PROVISIONAL, progressBlocks } from './progress-blocks.ts';
import { historyButton } from './report-buttons.ts';
import type { NightProgress } from './types.ts';
import { encodePageValue } from './values.ts';

/**
 * /sched-status while the night runs: figures from the task counts, marked provisional, and the
 * units not answered yet as a message can show them: the orgs with the most left, the first few
 * units of each and "and N more", with "Show all" paging the rest on demand. Exact coverage and
 * health are measured by the postcheck; this message states neither.
 */

const PREVIEW_CHARS = 100;

export interface LiveStatusInput {
  runDate: string;
  progress: NightProgress;
  /** Orgs with units left, most first (every one: the message shows the first LIVE_MAX_ORGS). */
  orgs: LiveOrg[];
  /** The first units of the orgs shown. */
  units: LiveUnit[];
  now: Date;
  zone: string;
}

export function liveStatusMessage(input: LiveStatusInput) {
  const { runDate, progress, orgs } = input;
  const shown = orgs.slice(0, LIVE_MAX_ORGS);
  const left = orgs.reduce((n, o) => n + o.left, 0);
  const lines = [
    `*Not answered yet*, most left first: ${plural(left, 'unit')} in ${plural(orgs.length, 'org')}`,
  ];
  for (const org of shown) {
    const units = input.units.filter((u) => u.orgId === org.orgId);
    lines.push(`• *${inlineText(org.name, 200)}*: ${plural(org.left, 'unit')} not answered yet`);
    for (const unit of units) lines.push(`      ${liveUnitLine(unit, PREVIEW_CHARS)}`);
    if (org.left > units.length) lines.push(`      and ${count(org.left - units.length)} more`);
  }
  const hidden = orgs.length - shown.length;
  if (hidden > 0) {
    const more = orgs.slice(LIVE_MAX_ORGS).reduce((n, o) => n + o.left, 0);
    lines.push(`+${plural(hidden, 'more org')} (${plural(more, 'unit')}): *Show all* lists every unit.`);
  }
  return Message({
    text: `Status of ${runDateLabel(runDate)}: running, ${count(progress.overall.done)}/${count(progress.overall.total)} done (${PROVISIONAL})`,
  })
    .blocks(
      Blocks.Header({ text: `Status ${runDateLabel(runDate)} · running` }),
      Blocks.Context().elements(`⏳ ${PROVISIONAL}.`),
      progressBlocks(progress, input.now, input.zone),
      Blocks.Divider(),
      setIfTruthy(
        left > 0,
        packLines(lines).map((text) => Blocks.Section({ text })),
      ),
      Blocks.Actions({ blockId: BLOCK_IDS.statusActions }).elements(
        setIfTruthy(
          left > 0,
          Elements.Button({
            text: 'Show all',
            actionId: ACTION_IDS.showAllLive,
            value: encodePageValue({ runDate, page: 0 }),
          }),
        ),
        historyButton(),
      ),
    )
    .buildToObject();
}
