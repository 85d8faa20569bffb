import { Blocks, Modal, setIfTruthy } from 'slack-block-builder';
import type { CoverageReport } from '../coverage/types.ts';
import { coverageFields, liveTasksLine, reportContext } from './coverage-summary.ts';
import { count, healthLabel, runDateLabel } from './format.ts';
import { CALLBACK_IDS } from './ids.ts';
import { missingOrgBlocks } from './missing-orgs.ts';
import { overQuotaBlock } from './over-quota.ts';
import { providerLines } from './provider-lines.ts';
import { showAllButton } from './report-buttons.ts';

/** A night's full postcheck, opened from history or App Home. */

export const DETAIL_MAX_ORGS = 30;

export function runDetailModal(report: CoverageReport) {
  const missing = missingOrgBlocks(report, { maxOrgs: DETAIL_MAX_ORGS, inlinePrompts: 40 });
  const t = report.tasks;
  const tasks = `Tasks: ${count(t.completed)} completed, ${count(t.failed)} failed, ${count(t.processing)} running, ${count(t.pending)} pending, ${count(t.cancelled)} cancelled`;
  return Modal({
    title: `Night ${report.runDate}`,
    close: 'Close',
    callbackId: CALLBACK_IDS.runDetailModal,
    privateMetaData: report.runDate,
  })
    .blocks(
      Blocks.Section({
        text: `*${runDateLabel(report.runDate)}* · ${healthLabel(report.summary.overallHealth)}`,
      }),
      reportContext(report),
      coverageFields(report),
      Blocks.Context().elements(
        ...[tasks, liveTasksLine(report)].filter((x): x is string => x !== undefined),
      ),
      Blocks.Divider(),
      Blocks.Section({ text: ['*Providers*', ...providerLines(report)].join('\n') }),
      missing.blocks,
      overQuotaBlock(report),
      setIfTruthy(
        report.incompletePrompts.length > 0,
        Blocks.Actions().elements(showAllButton(report.runDate)),
      ),
    )
    .buildToObject();
}
