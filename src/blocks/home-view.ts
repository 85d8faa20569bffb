import { Blocks, HomeTab, setIfTruthy } from 'slack-block-builder';
import type { CoverageReport } from '../coverage/types.ts';
import type { NightSummary } from '../scheduler/history.ts';
import { costLines } from './cost-lines.ts';
import { coverageFields, healthSentence } from './coverage-summary.ts';
import {
  formatRatio,
  hadNothingToRun,
  healthLabel,
  plural,
  runDateLabel,
  shortRunDateLabel,
  slackDate,
} from './format.ts';
import { openNightButton } from './history-message.ts';
import { CALLBACK_IDS } from './ids.ts';
import { missingOrgBlocks } from './missing-orgs.ts';
import { progressBlocks } from './progress-blocks.ts';
import { providerChangeLines } from './provider-change-lines.ts';
import { failingProviderLines } from './provider-lines.ts';
import { historyButton, showAllButton } from './report-buttons.ts';
import { sparkline } from './trend.ts';
import type { NightProgress } from './types.ts';

/** App Home: today's night (progress or result) and the last 14 nights with a sparkline. */

export const HOME_NIGHTS = 14;
const HOME_MAX_ORGS = 5;

export interface HomeViewInput {
  today: { runDate: string; report?: CoverageReport | undefined; progress?: NightProgress | undefined };
  /** Newest first (listHistory's order); the first 14 are shown. */
  nights: NightSummary[];
  now: Date;
  timezone?: string;
}

export function homeView(input: HomeViewInput) {
  const zone = input.timezone ?? input.today.report?.timezone ?? 'UTC';
  const { report, progress, runDate } = input.today;
  const nights = input.nights.slice(0, HOME_NIGHTS);
  const older = input.nights.length - nights.length;
  const spark = sparkline(nights.map((n) => n.promptCoverage?.percent ?? null).reverse());
  const health = report ? ` · ${healthLabel(report.summary.overallHealth)}` : progress ? ' · running' : '';
  const failing = report ? failingProviderLines(report) : [];
  const changes = report ? providerChangeLines(report, 'slack') : [];

  return HomeTab({ callbackId: CALLBACK_IDS.homeTab })
    .blocks(
      Blocks.Header({ text: 'Nightly prompt runs' }),
      Blocks.Section({ text: `*Today* · ${runDateLabel(runDate)}${health}` }),
      setIfTruthy(progress, progress && progressBlocks(progress, input.now, zone)),
      // The same sentence as the report: the health built from its reasons.
      setIfTruthy(report, report && Blocks.Context().elements(healthSentence(report))),
      setIfTruthy(report, report && coverageFields(report)),
      setIfTruthy(
        failing.length > 0,
        Blocks.Section({ text: ['*Providers needing a look*', ...failing].join('\n') }),
      ),
      // A provider taken out of service (or back) while the night ran, as the report says it.
      setIfTruthy(changes.length > 0, Blocks.Context().elements(changes.join('\n'))),
      setIfTruthy(
        report && costLines(report.cost).length > 0,
        Blocks.Section({ text: costLines(report?.cost).join('\n') }),
      ),
      setIfTruthy(report, report && missingOrgBlocks(report, { maxOrgs: HOME_MAX_ORGS }).blocks),
      setIfTruthy(!report && !progress, Blocks.Section({ text: 'Nothing has run for today yet.' })),
      Blocks.Actions().elements(
        historyButton(),
        setIfTruthy(report && report.incompletePrompts.length > 0, showAllButton(runDate)),
      ),
      Blocks.Divider(),
      Blocks.Section({
        text:
          nights.length === 0
            ? '*Last nights*: none recorded yet.'
            : `*Last ${plural(nights.length, 'night')}* \`${spark.line}\` prompt coverage, oldest → newest (${spark.floor}–100%)`,
      }),
      nights.map((night) => {
        const coverage = hadNothingToRun(night.health, night.promptCoverage)
          ? ' · nothing to run'
          : night.promptCoverage
            ? ` · prompts ${formatRatio(night.promptCoverage)}`
            : '';
        const section = Blocks.Section({
          text: `${healthLabel(night.health)} · *${shortRunDateLabel(night.runDate)}*${coverage}`,
        });
        return night.health !== null ? section.accessory(openNightButton(night.runDate)) : section;
      }),
      setIfTruthy(older > 0, Blocks.Context().elements(`+${plural(older, 'older night')}: open *History*.`)),
      Blocks.Context().elements(`Updated ${slackDate(input.now, zone)}`),
    )
    .buildToObject();
}
