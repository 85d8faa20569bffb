import { Blocks, Message, setIfTruthy } from 'slack-block-builder';
import { rootCauses } from '../coverage/root-causes.ts';
import { actionableUnits } from '../coverage/snoozed-units.ts';
import type { CoverageReport } from '../coverage/types.ts';
import { activePromptsBlock } from './active-prompts.ts';
import { costLines } from './cost-lines.ts';
import {
  coverageFields,
  hasReason,
  healthReasonsBlock,
  liveTasksLine,
  reportContext,
  reportTitle,
  runbookLink,
  summaryText,
} from './coverage-summary.ts';
import { plain } from './format.ts';
import { BLOCK_IDS } from './ids.ts';
import { missingOrgBlocks, SMALL_NIGHT_PROMPTS } from './missing-orgs.ts';
import { noLiveWorkerLine, prunedLine } from './no-live-worker.ts';
import { progressBlocks } from './progress-blocks.ts';
import { providerChangeLines } from './provider-change-lines.ts';
import { failingProviderLines, providerCheckLines } from './provider-lines.ts';
import {
  previewFromReport,
  type RepairPreviewInput,
  repairButton,
  repairOptionsButton,
  withEstimate,
} from './repair-confirm.ts';
import { historyButton, rerunOrgSelect, shareButton, showAllButton } from './report-buttons.ts';
import { rootCauseBlocks } from './root-cause-lines.ts';
import { snoozedSummary } from './snooze-lines.ts';
import type { NightProgress, ProviderCheck } from './types.ts';

export const STATUS_MAX_ORGS = 10;

export interface StatusMessageInput {
  report: CoverageReport;
  /** The night's tasks while they run. */
  progress?: NightProgress | undefined;
  /** Results of "Verify all providers are accessible". */
  providerChecks?: ProviderCheck[] | undefined;
  repairPreview?: RepairPreviewInput | undefined;
  /** RUNBOOK_URL: linked under the status when set. */
  runbookUrl?: string | undefined;
  now: Date;
}

/** /sched-status: the answer only the asker sees, with a button to share it. */
export function statusMessage(input: StatusMessageInput) {
  const { report } = input;
  // A provider failing everywhere is one line above the org list, which then leaves its units out.
  const causes = rootCauses(report);
  const missing = missingOrgBlocks(report, {
    maxOrgs: STATUS_MAX_ORGS,
    inlinePrompts: SMALL_NIGHT_PROMPTS,
    rootCauses: causes,
  });
  const canRepair = actionableUnits(report) > 0 && !hasReason(report, 'trigger_not_run');
  const liveLine = liveTasksLine(report);
  const failing = failingProviderLines(report);
  const noWorker = noLiveWorkerLine(report.providersWithoutLiveWorker);
  const providerText = [
    failing.length > 0
      ? '*Providers needing a look*'
      : '*Providers*: every enabled provider answered everything.',
    ...failing,
    ...(noWorker ? [`⚠️ ${noWorker}`] : []),
    ...(report.detailsPrunedAt ? [prunedLine(report.detailsPrunedAt)] : []),
  ];
  const checks = input.providerChecks;

  return Message({ text: summaryText(report, 'Status of') })
    .blocks(
      Blocks.Header({ text: plain(reportTitle(report, 'Status'), 150) }),
      reportContext(report),
      setIfTruthy(healthReasonsBlock(report), healthReasonsBlock(report)),
      coverageFields(report),
      activePromptsBlock(report),
      setIfTruthy(
        input.progress,
        input.progress && progressBlocks(input.progress, input.now, report.timezone),
      ),
      setIfTruthy(!input.progress && liveLine, Blocks.Context().elements(liveLine ?? '')),
      Blocks.Divider(),
      Blocks.Section({ text: providerText.join('\n') }),
      setIfTruthy(
        snoozedSummary(report, 'slack'),
        Blocks.Context().elements(`😴 ${snoozedSummary(report, 'slack')}`),
      ),
      setIfTruthy(
        providerChangeLines(report, 'slack').length > 0,
        Blocks.Context().elements(providerChangeLines(report, 'slack').join('\n')),
      ),
      setIfTruthy(
        checks && checks.length > 0,
        Blocks.Section({
          text: ['*Verify all providers are accessible*', ...providerCheckLines(checks ?? [])].join('\n'),
        }),
      ),
      setIfTruthy(
        costLines(report.cost).length > 0,
        Blocks.Section({ text: costLines(report.cost).join('\n') }),
      ),
      rootCauseBlocks(report, causes, canRepair),
      missing.blocks,
      runbookLink(input.runbookUrl),
      Blocks.Actions({ blockId: BLOCK_IDS.statusActions }).elements(
        setIfTruthy(
          canRepair,
          repairButton(
            report.runDate,
            input.repairPreview ? withEstimate(input.repairPreview, report.cost) : previewFromReport(report),
          ),
        ),
        setIfTruthy(
          actionableUnits(report) > 0 && !hasReason(report, 'trigger_not_run'),
          repairOptionsButton(report.runDate),
        ),
        rerunOrgSelect(report),
        historyButton(),
        shareButton(report.runDate),
        setIfTruthy(report.incompletePrompts.length > 0, showAllButton(report.runDate)),
      ),
    )
    .buildToObject();
}
