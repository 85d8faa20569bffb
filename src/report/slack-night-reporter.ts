import type { webApi } from '@slack/bolt';
import { isSlackUserId } from '../blocks/format.ts';
import { lateStepMessage, missedNightMessage } from '../blocks/late-step-message.ts';
import { nightWarningMessage } from '../blocks/night-warning-message.ts';
import { runOutcomeMessage } from '../blocks/run-outcome-message.ts';
import { snoozeOverMessage } from '../blocks/snooze-lines.ts';
import type { NightReporter } from '../scheduler/night-reporter.ts';
import { latestReportThread, recordedReport } from '../store/slack-reports.ts';
import { mentionOncall } from './oncall-mention.ts';
import { MESSAGE_TYPES, postOnce } from './post-once.ts';
import {
  latestReportInput,
  postOrUpdateReport,
  REPORT_EDIT_INTERVAL_MS,
  type ReportDeps,
  refreshNightReports,
} from './report-poster.ts';
import { uploadReportChart } from './upload-chart.ts';

/**
 * The morning report in Slack as the steps see it (scheduler/night-reporter.ts): publish posts
 * or edits the one message of the night; refresh edits every message of the night with its latest
 * recorded figures, at most once per `editIntervalMs` per message.
 */
export function slackNightReporter(
  deps: ReportDeps & { client: Pick<webApi.WebClient, 'chat' | 'conversations' | 'files'> },
  // `chart: false` leaves the chart out of new reports (the night simulator: a chart is a worker
  // thread and seconds of rendering per night, and says nothing about the night's figures).
  options: { editIntervalMs?: number; chart?: boolean } = {},
): NightReporter {
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
      const key = {
        eventType: MESSAGE_TYPES.lateAlert,
        payload: { run_date: late.runDate, kind: 'late_alert', step: late.step },
      };
      const posted = await postOnce(deps, { ...message, channel, key });
      return { channel, ts: posted.ts };
    },
    async alertMissed(runDate) {
      const channel = deps.config.slack.reportChannel;
      if (!channel) return undefined;
      const key = {
        eventType: MESSAGE_TYPES.lateAlert,
        payload: { run_date: runDate, kind: 'missed_night' },
      };
      const posted = await postOnce(deps, { ...missedNightMessage(runDate), channel, key });
      return { channel, ts: posted.ts };
    },
    async warnNight(warning, edit) {
      const channel = deps.config.slack.reportChannel;
      if (!channel) return undefined;
      const oncall = deps.config.slack.oncall;
      const message = nightWarningMessage(warning, deps.config.timezone, oncall ? { oncall } : {});
      if (edit) {
        await deps.client.chat.update({ ...message, channel: edit.channel, ts: edit.ts });
        return { ...edit, sentence: message.text ?? '' };
      }
      const { decision } = warning;
      const key = {
        eventType: MESSAGE_TYPES.notice,
        payload: {
          run_date: warning.runDate,
          kind: `night_warning_${decision.kind}`,
          ...(decision.kind === 'provider_failing' ? { provider: decision.provider } : {}),
        },
      };
      const posted = await postOnce(deps, { ...message, channel, key });
      return { channel, ts: posted.ts, sentence: message.text ?? '' };
    },
    async snoozeOver(snooze) {
      const channel = deps.config.slack.reportChannel;
      if (!channel) return undefined;
      const thread = await latestReportThread(deps.db, channel);
      const message = snoozeOverMessage(snooze);
      const key = {
        eventType: thread ? MESSAGE_TYPES.threadLine : MESSAGE_TYPES.notice,
        payload: { kind: 'snooze_over', snooze_id: String(snooze.id) },
      };
      const posted = await postOnce(deps, { ...message, channel, threadTs: thread, key });
      return { channel, ts: posted.ts };
    },
    async runFinished(outcome) {
      const message = runOutcomeMessage(outcome);
      const channel = deps.config.slack.reportChannel;
      const report = channel
        ? await recordedReport(deps.db, { runDate: outcome.runDate, channel })
        : undefined;
      if (report?.ts) {
        const key = {
          eventType: MESSAGE_TYPES.threadLine,
          payload: { run_date: outcome.runDate, kind: 'run_finished', run_id: String(outcome.runId) },
        };
        const posted = await postOnce(deps, {
          ...message,
          channel: report.channel,
          threadTs: report.ts,
          key,
        });
        return { channel: report.channel, ts: posted.ts };
      }
      // No report of that night to answer under: tell whoever asked, when Slack knows them. A
      // direct message cannot be looked up: a lost answer is not posted again.
      const asker = outcome.triggeredBy.replace(/^slack:/, '');
      if (!isSlackUserId(asker)) return undefined;
      const posted = await postOnce(deps, { ...message, channel: asker });
      return { channel: posted.channel, ts: posted.ts };
    },
  };
}

/** A Web API client for processes without the Bolt app (CLI steps, `sched worker`). */
export async function webClientFor(config: ReportDeps['config']): Promise<webApi.WebClient | undefined> {
  const token = config.slack.botToken;
  if (!token) return undefined;
  // Loaded on demand: `sched --help` and the read-only commands load no Slack SDK.
  const { createSlackClient } = await import('../slack/web-client.ts');
  return createSlackClient(token, { apiUrl: config.slack.apiUrl, timeoutMs: config.slack.timeoutMs });
}
