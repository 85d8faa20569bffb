import type { BlockOverflowAction, Middleware, SlackActionMiddlewareArgs } from '@slack/bolt';
import { errorMessage } from '../../blocks/error-message.ts';
import { snoozedMessage } from '../../blocks/snooze-lines.ts';
import { decodeSnoozeChoice } from '../../blocks/snooze-menu.ts';
import { refreshSnoozedNight } from '../../report/refresh-snoozed-night.ts';
import { snoozeFromAsk } from '../../scheduler/snooze-request.ts';
import { reply } from '../../slack/reply.ts';
import { allowOnce } from '../../slack/request-once.ts';
import type { SlackDeps } from '../slack-deps.ts';
import { ackClick } from './action-input.ts';

/** "Snooze" overflow on a report's provider or org line: admins only; answers whoever picked it. */
export const snoozeLineAction =
  (deps: SlackDeps): Middleware<SlackActionMiddlewareArgs<BlockOverflowAction>> =>
  async (args) => {
    const { input, target } = await ackClick(args);
    if (!(await allowOnce(deps, { target, action: 'snooze', request: args.body }))) return;
    const choice = decodeSnoozeChoice(input.value);
    if (!choice) {
      await reply(
        target,
        errorMessage('That menu carries no snooze I can read; open a fresh report and try again.'),
      );
      return;
    }
    const outcome = await snoozeFromAsk(deps, {
      ...('provider' in choice.target ? { provider: choice.target.provider } : { org: choice.target.orgId }),
      end: choice.end,
      reason: 'from the report',
      createdBy: input.userId,
    });
    await reply(
      target,
      outcome.ok
        ? snoozedMessage(outcome.snooze, deps.config.timezone, deps.clock())
        : errorMessage(outcome.sentence),
    );
    if (outcome.ok) await refreshSnoozedNight({ ...deps, client: args.client });
  };
