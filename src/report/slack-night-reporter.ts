import type { webApi } from '@slack/bolt';
import type { NightReporter } from '../scheduler/night-reporter.ts';
import { isSlackUserId } from '../views/format.ts';
import { lateStepMessage } from '../views/late-step-message.ts';
import { runOutcomeMessage } from '../views/run-outcome-message.ts';
import { snoozeOverMessage } from '../views/snooze-lines.ts';
import { mentionOncall } from './oncall-mention.ts';
import {
  latestReportInput,
  latestReportThread,
  postOrUpdateReport,
  REPORT_EDIT_INTERVAL_MS,
  type ReportDeps,
  recordedReport,
  refreshNightReports,
} from './report-poster.ts';
import { uploadReportChart } from './upload-chart.ts';

/**
 * The morning report in Slack as the steps see it (scheduler/night-reporter.ts): publish posts
 * or edits the one message of the night; refresh edits every message of the night with its latest
 * recorded figures, at most once per `editIntervalMs` per message.
 */
export function slackNightReporter(
  deps: ReportDeps & { client: Pick<webApi.WebClient, 'chat' | 'files'> },
  // `chart: false` leaves the chart out of new reports (the night simulator: a chart is a worker
  // thread and seconds of rendering per night, and says nothing about the night's figures).
  options: { editIntervalMs?: number; chart?: boolean } = {},
): NightReporter {
  const { client } = deps;
  const intervalMs = options.editIntervalMs ?? REPORT_EDIT_INTERVAL_MS;
  return {
    async publish(runDate, report) {
      if (!deps.config.slack.reportChannel) {
        return { action: 'not_posted', reason: 'SLACK_REPORT_CHANNEL is not set' };
      }
      const input = await latestReportInput(deps, { runDate, fallback: report });
      const posted = await postOrUpdateReport(deps, input);
      if (!posted) return { action: 'not_posted', reason: 'SLACK_REPORT_CHANNEL is not set' };
      // The chart goes in the thread once, when the message is first posted (a repost starts a
      // new thread); edits leave it alone. It never fails the report.
      if (posted.action !== 'updated' && options.chart !== false)
        await uploadReportChart(deps, { runDate, channel: posted.channel, ts: posted.ts });
      // Once per night, whichever post or edit first finds the night needing a person.
      await mentionOncall(deps, { report: input.report, thread: { channel: posted.channel, ts: posted.ts } });
      if (posted.action === 'reposted') {
        return { action: 'reposted', channel: posted.channel, ts: posted.ts, gone: String(posted.gone) };
      }
      return { action: posted.action, channel: posted.channel, ts: posted.ts };
    },
    async refresh(runDate) {
      await refreshNightReports(deps, { runDate, intervalMs });
    },
    async alertLate(late, now) {
      const channel = deps.config.slack.reportChannel;
      if (!channel) return undefined;
      const message = lateStepMessage(late, deps.config.timezone, now);
      const posted = await client.chat.postMessage({ ...message, channel });
      return { channel, ts: String(posted.ts) };
    },
    async snoozeOver(snooze) {
      const channel = deps.config.slack.reportChannel;
      if (!channel) return undefined;
      const thread = await latestReportThread(deps.db, channel);
      const message = snoozeOverMessage(snooze);
      const posted = await client.chat.postMessage({
        ...message,
        channel,
        ...(thread ? { thread_ts: thread } : {}),
      });
      return { channel, ts: String(posted.ts) };
    },
    async runFinished(outcome) {
      const message = runOutcomeMessage(outcome);
      const channel = deps.config.slack.reportChannel;
      const report = channel
        ? await recordedReport(deps.db, { runDate: outcome.runDate, channel })
        : undefined;
      if (report?.ts) {
        const posted = await client.chat.postMessage({
          ...message,
          channel: report.channel,
          thread_ts: report.ts,
        });
        return { channel: report.channel, ts: String(posted.ts) };
      }
      // No report of that night to answer under: tell whoever asked, when Slack knows them.
      const asker = outcome.triggeredBy.replace(/^slack:/, '');
      if (!isSlackUserId(asker)) return undefined;
      const posted = await client.chat.postMessage({ ...message, channel: asker });
      return { channel: String(posted.channel ?? asker), ts: String(posted.ts) };
    },
  };
}

/** A Web API client for processes without the Bolt app (CLI steps, `sched worker`). */
export async function webClientFor(config: ReportDeps['config']): Promise<webApi.WebClient | undefined> {
  const token = config.slack.botToken;
  if (!token) return undefined;
  const { webApi: api } = await import('@slack/bolt');
  // A step must end: a couple of retries, not the default ten over half an hour.
  return new api.WebClient(token, {
    ...(config.slack.apiUrl ? { slackApiUrl: config.slack.apiUrl } : {}),
    retryConfig: { retries: 2, minTimeout: 500, maxTimeout: 5_000 },
    timeout: 15_000,
  });
}
