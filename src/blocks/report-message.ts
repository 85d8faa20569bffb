import { Blocks, Message, setIfTruthy } from 'slack-block-builder';
import { rootCauses } from '../coverage/root-causes.ts';
import { actionableUnits } from '../coverage/snoozed-units.ts';
import type { CoverageReport } from '../coverage/types.ts';
import type { NightWarningRow } from '../store/night-warnings.ts';
import { activePromptsBlock } from './active-prompts.ts';
import { costLines } from './cost-lines.ts';
import {
  type Comparison,
  coverageFields,
  hasReason,
  healthReasonsBlock,
  liveTasksLine,
  reportContext,
  reportTitle,
  runbookLink,
  summaryText,
} from './coverage-summary.ts';
import { actorLabel, plain, plural, slackDate } from './format.ts';
import { BLOCK_IDS } from './ids.ts';
import { missingOrgBlocks, SMALL_NIGHT_PROMPTS } from './missing-orgs.ts';
import { nightWarningLine } from './night-warning-lines.ts';
import { noLiveWorkerLine } from './no-live-worker.ts';
import { overQuotaBlock } from './over-quota.ts';
import { providerChangeLines } from './provider-change-lines.ts';
import { providerLine } from './provider-lines.ts';
import {
  previewFromReport,
  type RepairPreviewInput,
  repairButton,
  repairOptionsButton,
  withEstimate,
} from './repair-confirm.ts';
import { repairSettled, repairStateBlock } from './repair-state.ts';
import { historyButton, rerunOrgSelect, showAllButton } from './report-buttons.ts';
import { rootCauseBlocks } from './root-cause-lines.ts';
import { snoozedSummary } from './snooze-lines.ts';
import { snoozeOverflow } from './snooze-menu.ts';
import type { RepairState } from './types.ts';

/** Orgs listed in the message itself; the rest are one click away in the paged modal. */
export const REPORT_MAX_ORGS = 10;

export interface ReportMessageInput extends Comparison {
  report: CoverageReport;
  repair?: RepairState | undefined;
  /** What Repair would enqueue now (the confirm dialog); the report's own missing units otherwise. */
  repairPreview?: RepairPreviewInput | undefined;
  /** RUNBOOK_URL: linked under the report when set. */
  runbookUrl?: string | undefined;
  /** What the night watch raised while the night ran (linked under the providers). */
  warnings?: NightWarningRow[] | undefined;
  now: Date;
}

/** The morning report: posted by the postcheck, edited in place while a repair runs. */
export function reportMessage(input: ReportMessageInput) {
  const { report, repair } = input;
  // A provider failing everywhere is one line above the org list, which then leaves its units out.
  const causes = rootCauses(report);
  const missing = missingOrgBlocks(report, {
    maxOrgs: REPORT_MAX_ORGS,
    inlinePrompts: SMALL_NIGHT_PROMPTS,
    rootCauses: causes,
    orgAccessory: (org, index) => snoozeOverflow(`org:${index}`, { orgId: org.orgId }),
  });
  // A night whose trigger never ran is not repaired (run-date-rules.ts): no button that is refused.
  // Snoozed units are not repaired: a night whose every miss is snoozed offers no Repair.
  const canRepair =
    actionableUnits(report) > 0 && repairSettled(repair, report) && !hasReason(report, 'trigger_not_run');
  const snoozed = snoozedSummary(report, 'slack');
  const liveLine = liveTasksLine(report);
  const updated = repair ? `Updated ${slackDate(input.now, report.timezone)}` : undefined;
  const noWorker = noLiveWorkerLine(report.providersWithoutLiveWorker);
  const changes = providerChangeLines(report, 'slack');
  const warned = nightWarningLine(input.warnings ?? [], report.timezone);

  return Message({ text: reportText(input) })
    .blocks(
      Blocks.Header({ text: plain(reportTitle(report, 'Nightly run'), 150) }),
      reportContext(report),
      setIfTruthy(healthReasonsBlock(report), healthReasonsBlock(report)),
      coverageFields(report, input),
      activePromptsBlock(report),
      setIfTruthy(repair, repair && repairStateBlock(repair, report)),
      setIfTruthy(liveLine || updated, Blocks.Context().elements(...[liveLine, updated].filter(isText))),
      Blocks.Divider(),
      Blocks.Section({ text: '*Providers*' }),
      // One section per provider, so each line carries its Snooze menu.
      report.providers.map((p, index) =>
        Blocks.Section({ text: providerLine(p, report.timezone, new Date(report.generatedAt)) }).accessory(
          p.enabled ? snoozeOverflow(`provider:${index}`, { provider: p.provider }) : undefined,
        ),
      ),
      setIfTruthy(noWorker, Blocks.Section({ text: `⚠️ ${noWorker}` })),
      setIfTruthy(warned, Blocks.Context().elements(warned ?? '')),
      setIfTruthy(snoozed, Blocks.Context().elements(`😴 ${snoozed}`)),
      setIfTruthy(changes.length > 0, Blocks.Context().elements(changes.join('\n'))),
      setIfTruthy(
        costLines(report.cost).length > 0,
        Blocks.Section({ text: costLines(report.cost).join('\n') }),
      ),
      rootCauseBlocks(report, causes, canRepair),
      missing.blocks,
      overQuotaBlock(report),
      runbookLink(input.runbookUrl),
      Blocks.Actions({ blockId: BLOCK_IDS.reportActions }).elements(
        setIfTruthy(
          canRepair,
          repairButton(
            report.runDate,
            input.repairPreview ? withEstimate(input.repairPreview, report.cost) : previewFromReport(report),
          ),
        ),
        setIfTruthy(canRepair, repairOptionsButton(report.runDate)),
        rerunOrgSelect(report),
        historyButton(),
        setIfTruthy(report.incompletePrompts.length > 0, showAllButton(report.runDate)),
      ),
    )
    .buildToObject();
}

const isText = (value: string | undefined): value is string => value !== undefined && value !== '';

function reportText(input: ReportMessageInput): string {
  const base = summaryText(input.report, 'Nightly run');
  const { repair } = input;
  if (!repair) return base;
  const who = actorLabel(repair.userId);
  return repair.finishedAt
    ? `${base} Repair by ${who} finished.`
    : `${base} Repair started by ${who}: ${plural(repair.units, 'unit')}.`;
}
