import type { BlockButtonAction, Middleware, SlackActionMiddlewareArgs } from '@slack/bolt';
import { rerunResultMessage } from '../../blocks/rerun-result-message.ts';
import { decodeRerunPick } from '../../blocks/values.ts';
import { usageError } from '../../errors.ts';
import { rerunOrg } from '../../scheduler/rerun.ts';
import { reply } from '../../slack/reply.ts';
import { allowOnce } from '../../slack/request-once.ts';
import type { SlackDeps } from '../slack-deps.ts';
import { ackClick } from './action-input.ts';

/** A button under "Did you mean …?" (/sched-rerun): admins rerun the org they picked, in the scope asked. */
export const rerunPickAction =
  (deps: SlackDeps): Middleware<SlackActionMiddlewareArgs<BlockButtonAction>> =>
  async (args) => {
    const { input, target } = await ackClick(args);
    const pick = decodeRerunPick(input.value);
    if (!pick) throw usageError('That button is out of date; run /sched-rerun again.');
    if (!(await allowOnce(deps, { target, action: 'rerun an org', request: args.body }))) return;
    // The button carries the scope and the provider the command was given (`--failed --provider P`).
    const outcome = await rerunOrg(deps, {
      orgId: pick.orgId,
      runDate: pick.runDate,
      scope: pick.scope,
      provider: pick.provider,
      triggeredBy: `slack:${input.userId}`,
    });
    await reply(target, rerunResultMessage({ outcome, userId: input.userId }), { replace: true });
  };
