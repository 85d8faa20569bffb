import type { webApi } from '@slack/bolt';
import { errorMessage } from '../blocks/error-message.ts';
import { CHART_NIGHTS, type CoverageChart, coverageChart } from '../chart/coverage-chart.ts';
import type { Deps } from '../context.ts';
import { toError } from '../errors.ts';
import { slackErrorCode } from './report-poster.ts';

/**
 * The coverage chart in Slack, through files.uploadV2 (files.getUploadURLExternal, the bytes,
 * files.completeUploadExternal): a plain Web API flow, so it works the same in Socket Mode and
 * over HTTP. It needs the files:write scope and, to share in a channel, the bot's membership.
 */

type FilesClient = Pick<webApi.WebClient, 'files'>;

export type ChartUpload =
  | { kind: 'uploaded'; chart: CoverageChart }
  | { kind: 'nothing_recorded'; nights: number };

export async function uploadCoverageChart(
  deps: Pick<Deps, 'db' | 'config' | 'clock'> & { client: FilesClient },
  target: { channel: string; threadTs?: string; nights?: number },
): Promise<ChartUpload> {
  const { client } = deps;
  const nights = target.nights ?? CHART_NIGHTS;
  const chart = await coverageChart(deps, { nights });
  if (!chart) return { kind: 'nothing_recorded', nights };
  const file = {
    file: chart.png,
    filename: chart.filename,
    title: chart.title,
    alt_text: chart.altText,
    ...(chart.prunedNote ? { initial_comment: chart.prunedNote } : {}),
  };
  await client.files.uploadV2(
    target.threadTs
      ? { ...file, channel_id: target.channel, thread_ts: target.threadTs }
      : { ...file, channel_id: target.channel },
  );
  return { kind: 'uploaded', chart };
}

/**
 * The chart in the thread of a night's report, when the report is first posted. Never throws:
 * the report is what matters; a chart that could not be drawn or uploaded is logged and skipped.
 */
export async function uploadReportChart(
  deps: Pick<Deps, 'db' | 'config' | 'clock' | 'logger'> & { client: FilesClient },
  report: { runDate: string; channel: string; ts: string },
): Promise<void> {
  try {
    const upload = await uploadCoverageChart(deps, { channel: report.channel, threadTs: report.ts });
    if (upload.kind === 'uploaded') deps.logger.info(report, 'coverage chart posted in the report thread');
  } catch (error) {
    deps.logger.warn(
      { err: toError(error), code: slackErrorCode(error), ...report },
      'coverage chart not posted in the report thread; the report stands',
    );
  }
}

const CLI_HINT = 'or run `sched history --chart coverage.png`';

/**
 * `/sched-history chart [nights]`: the chart in the channel the command came from. Returns the
 * answer for the asker when there is something to say (nothing to chart, or a refused upload);
 * undefined when the chart itself is the answer.
 */
export async function chartForCommand(
  deps: Pick<Deps, 'db' | 'config' | 'clock' | 'logger'> & { client: FilesClient },
  request: { channel: string; nights: number; userId: string },
) {
  try {
    const upload = await uploadCoverageChart(deps, {
      channel: request.channel,
      nights: request.nights,
    });
    if (upload.kind === 'uploaded') return undefined;
    return errorMessage(
      `No postcheck recorded in the last ${upload.nights} nights: there is nothing to chart yet.`,
    );
  } catch (error) {
    const code = slackErrorCode(error);
    deps.logger.warn({ err: toError(error), code, ...request }, '/sched-history chart: upload failed');
    if (code === 'not_in_channel' || code === 'channel_not_found') {
      return errorMessage(
        `I cannot post files in this conversation: invite me with \`/invite @sched-bot\` and try again, ${CLI_HINT}.`,
      );
    }
    if (code === 'missing_scope') {
      return errorMessage(
        `Slack refused the upload: the app lacks the files:write scope (reinstall it from manifest.yml), ${CLI_HINT}.`,
      );
    }
    return errorMessage(`I could not post the chart${code ? ` (${code})` : ''}; try again, ${CLI_HINT}.`);
  }
}
