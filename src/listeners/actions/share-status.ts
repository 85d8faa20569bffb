import type { BlockButtonAction, Middleware, SlackActionMiddlewareArgs } from '@slack/bolt';
import { errorMessage } from '../../blocks/error-message.ts';
import { renderReport, shareReport, slackErrorCode } from '../../report/report-poster.ts';
import { measureCoverage } from '../../scheduler/postcheck.ts';
import { reply } from '../../slack/reply.ts';
import { actOnce } from '../../slack/request-once.ts';
import { nightTriggered } from '../../store/scheduler-runs.ts';
import type { SlackDeps } from '../slack-deps.ts';
import { ackClick, runDateValue } from './action-input.ts';

/** Slack answers these when the bot may not post in the channel itself (not invited, a DM). */
const CANNOT_POST = new Set(['not_in_channel', 'channel_not_found', 'restricted_action']);

/**
 * "Share to channel" on an ephemeral status: posts a copy of the night's report in the channel,
 * marked as a copy and never recorded as the night's report. Only a night that had a trigger is
 * shared: a forged date gets an ephemeral refusal and nothing is posted or written. Where the bot
 * cannot post, the response_url still can (visible to the channel).
 */
export const shareStatusAction =
  (deps: SlackDeps): Middleware<SlackActionMiddlewareArgs<BlockButtonAction>> =>
  async (args) => {
    const { input, target } = await ackClick(args);
    const runDate = runDateValue(input.value);
    if (!input.channelId) {
      await reply(target, errorMessage('Share to channel works from a status shown in a channel.'));
      return;
    }
    if (!(await nightTriggered(deps.db, runDate))) {
      await reply(target, errorMessage(`There is no night of ${runDate} to share: its trigger never ran.`));
      return;
    }
    // A copy of the click would post the report in the channel a second time.
    if (!(await actOnce(deps, { target, request: args.body }))) return;
    const report = await measureCoverage(deps, { runDate });
    try {
      await shareReport({ ...deps, client: args.client }, { runDate, report, channel: input.channelId });
    } catch (error) {
      if (!target.respond || !CANNOT_POST.has(slackErrorCode(error) ?? '')) throw error;
      const message = await renderReport(deps, { runDate, report });
      await target.respond({ ...message, response_type: 'in_channel', replace_original: false });
    }
  };
