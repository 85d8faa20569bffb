import type { Middleware, SlackCommandMiddlewareArgs } from '@slack/bolt';
import { findOrg, MAX_QUERY_LENGTH } from '../orgs/find-org.ts';
import { runDateOf } from '../scheduler/business-day.ts';
import { rerunOrg } from '../scheduler/rerun.ts';
import { allowOrExplain } from '../slack/access.ts';
import { encodeRerunMetadata } from '../slack/rerun-metadata.ts';
import type { SlackDeps } from '../slack/slack-deps.ts';
import { errorMessage } from '../views/error-message.ts';
import type { RerunScopeValue } from '../views/ids.ts';
import { rerunModal } from '../views/rerun-modal.ts';
import { rerunResultMessage } from '../views/rerun-result-message.ts';
import { unknownOrgMessage } from '../views/unknown-org-message.ts';
import { parseCommand } from './command-input.ts';

/**
 * /sched-rerun <org name | slug | id> [--all]: reruns one org today (missing prompts only unless
 * --all). No argument, or one that matches several orgs, opens the modal with the typeahead.
 */

export type RerunArgument =
  | { kind: 'modal'; scope: RerunScopeValue }
  | { kind: 'org'; query: string; scope: RerunScopeValue }
  | { kind: 'invalid'; sentence: string };

export function parseRerunArgument(args: string): RerunArgument {
  const all = /(^|\s)--all$/.test(args);
  const query = all ? args.replace(/(^|\s)--all$/, '').trim() : args;
  const scope: RerunScopeValue = all ? 'all' : 'missing';
  if (query === '') return { kind: 'modal', scope };
  if (query.length > MAX_QUERY_LENGTH) {
    return {
      kind: 'invalid',
      sentence: `That is ${query.length} characters long, longer than any org name; give the org's name, slug or id.`,
    };
  }
  return { kind: 'org', query, scope };
}

export const schedRerun =
  (deps: SlackDeps): Middleware<SlackCommandMiddlewareArgs> =>
  async ({ ack, command, respond, client }) => {
    await ack();
    const input = parseCommand(command);
    const target = { respond, client, userId: input.user_id };
    if (!(await allowOrExplain(deps.access, deps.config.slack, target, 'rerun an org'))) return;
    const runDate = runDateOf(deps.clock(), deps.config.timezone);
    const argument = parseRerunArgument(input.args);
    if (argument.kind === 'invalid') {
      await respond({ ...errorMessage(argument.sentence), response_type: 'ephemeral' });
      return;
    }
    const privateMetadata = encodeRerunMetadata({
      runDate,
      channelId: input.channel_id,
      responseUrl: input.response_url || undefined,
    });
    if (argument.kind === 'modal') {
      await client.views.open({
        trigger_id: input.trigger_id,
        view: rerunModal({ runDate, scope: argument.scope, privateMetadata }),
      });
      return;
    }
    const found = await findOrg(deps.db, argument.query);
    if (found.kind === 'none') {
      const closest = found.closest.map((name) => ({ name }));
      await respond({ ...unknownOrgMessage(argument.query, closest), response_type: 'ephemeral' });
    } else if (found.kind === 'ambiguous') {
      const orgs = found.candidates.map((o) => ({ id: o.id, name: o.name, slug: o.slug }));
      await client.views.open({
        trigger_id: input.trigger_id,
        view: rerunModal({ orgs, query: argument.query, runDate, scope: argument.scope, privateMetadata }),
      });
    } else {
      const outcome = await rerunOrg(deps, {
        orgId: found.org.id,
        runDate,
        scope: argument.scope,
        triggeredBy: `slack:${input.user_id}`,
      });
      await respond({
        ...rerunResultMessage({ outcome, userId: input.user_id }),
        response_type: 'ephemeral',
      });
    }
  };
