import type { Middleware, SlackCommandMiddlewareArgs } from '@slack/bolt';
import { accessDenied } from '../../blocks/access-denied.ts';
import { didYouMeanMessage } from '../../blocks/did-you-mean-message.ts';
import { errorMessage } from '../../blocks/error-message.ts';
import { inlineText } from '../../blocks/format.ts';
import { COMMANDS, type RerunScopeValue } from '../../blocks/ids.ts';
import { noticeModal } from '../../blocks/loading-view.ts';
import { encodeRerunMetadata } from '../../blocks/rerun-metadata.ts';
import { rerunModal } from '../../blocks/rerun-modal.ts';
import { rerunResultMessage } from '../../blocks/rerun-result-message.ts';
import { findOrgExactly, MAX_QUERY_LENGTH } from '../../orgs/find-org.ts';
import { isProviderName, PROVIDER_NAMES, type ProviderName } from '../../provider-names.ts';
import { rerunCostPreview } from '../../report/rerun-cost.ts';
import { rerunOrg } from '../../scheduler/rerun.ts';
import { fillModal } from '../../slack/loading-modal.ts';
import { allowOnce } from '../../slack/request-once.ts';
import { runDateOf } from '../../time/business-day.ts';
import type { SlackDeps } from '../slack-deps.ts';
import { parseCommand } from './command-input.ts';

/**
 * /sched-rerun <org name | slug | id> [--failed | --all] [--provider P]: reruns one org today,
 * its missing units unless --failed (only those whose try ended in a final failure) or --all
 * (every expected unit), of every provider unless --provider names one (run-scope.ts). Only an
 * exact id, slug or name runs; anything else answers "Did you mean …?" with a button per close
 * org, which carries the same scope. No org opens the modal with the typeahead, the scope and
 * the provider preset from the flags.
 */

export type RerunArgument =
  | { kind: 'modal'; scope: RerunScopeValue; provider?: ProviderName }
  | { kind: 'org'; query: string; scope: RerunScopeValue; provider?: ProviderName; confirm?: boolean }
  | { kind: 'invalid'; sentence: string };

const USAGE = `${COMMANDS.rerun} <org> [--failed | --all [--confirm]] [--provider ${PROVIDER_NAMES.join('|')}]`;

/** A word that reads as a flag ("--all"), not a lone "--" or a slug such as "all-hands--all". */
const isFlag = (word: string) => /^--[a-z]/i.test(word);

export function parseRerunArgument(args: string): RerunArgument {
  const words = args.split(/\s+/).filter((word) => word !== '');
  const rest: string[] = [];
  let failed = false;
  let all = false;
  // A second fresh-answers rerun of the night, confirmed (fresh-answers.ts).
  let confirm = false;
  let provider: string | undefined;
  for (let i = 0; i < words.length; i++) {
    const word = words[i] as string;
    if (!isFlag(word)) {
      rest.push(word);
      continue;
    }
    const [flag, inline] = word.toLowerCase().split('=', 2) as [string, string | undefined];
    if (flag === '--all' && inline === undefined) all = true;
    else if (flag === '--failed' && inline === undefined) failed = true;
    else if (flag === '--confirm' && inline === undefined) confirm = true;
    else if (flag === '--provider') {
      provider = inline ?? words[++i]?.toLowerCase();
      if (!provider || isFlag(provider))
        return invalid(`--provider needs a provider name: one of ${PROVIDER_NAMES.join(', ')}.`);
    } else return invalid(`I do not know the option “${inlineText(word, 40)}”. Usage: \`${USAGE}\`.`);
  }
  if (failed && all) return invalid(`--failed and --all exclude each other: give one. Usage: \`${USAGE}\`.`);
  if (provider !== undefined && !isProviderName(provider))
    return invalid(
      `I do not know the provider “${inlineText(provider, 40)}”: one of ${PROVIDER_NAMES.join(', ')}.`,
    );
  const scope: RerunScopeValue = all ? 'all' : failed ? 'failed' : 'missing';
  const narrowed = provider === undefined ? {} : { provider };
  const query = rest.join(' ');
  if (query === '') return { kind: 'modal', scope, ...narrowed };
  if (query.length > MAX_QUERY_LENGTH) {
    return invalid(
      `That is ${query.length} characters long, longer than any org name; give the org's name, slug or id.`,
    );
  }
  return { kind: 'org', query, scope, ...narrowed, ...(confirm ? { confirm } : {}) };
}

const invalid = (sentence: string): RerunArgument => ({ kind: 'invalid', sentence });

const TITLE = 'Rerun an org';

export const schedRerunCommand =
  (deps: SlackDeps): Middleware<SlackCommandMiddlewareArgs> =>
  async ({ ack, command, respond, client }) => {
    await ack();
    const input = parseCommand(command);
    const target = { respond, client, userId: input.user_id };
    const runDate = runDateOf(deps.clock(), deps.config.timezone);
    const argument = parseRerunArgument(input.args);
    if (argument.kind === 'invalid') {
      await respond({ ...errorMessage(argument.sentence), response_type: 'ephemeral' });
      return;
    }
    if (argument.kind === 'modal') {
      // The trigger_id expires in three seconds and the admin lookup may take longer: the
      // modal (pure, no I/O) opens first; a non-admin then sees the refusal in it.
      const privateMetadata = encodeRerunMetadata({
        runDate,
        channelId: input.channel_id,
        responseUrl: input.response_url || undefined,
      });
      const modal = { runDate, scope: argument.scope, provider: argument.provider, privateMetadata };
      const opened = await client.views.open({ trigger_id: input.trigger_id, view: rerunModal(modal) });
      if (await deps.access.isAdmin(input.user_id)) {
        // The estimate needs the database: it joins the open modal (same block ids, so Slack
        // keeps whatever was already picked).
        const cost = await rerunCostPreview(deps, { runDate });
        if (opened.view?.id) await fillModal(client, opened.view.id, rerunModal({ ...modal, cost }));
        return;
      }
      const denied = accessDenied({ ...deps.config.slack, action: 'rerun an org' });
      if (opened.view?.id) await fillModal(client, opened.view.id, noticeModal(TITLE, denied.text ?? ''));
      return;
    }
    if (!(await allowOnce(deps, { target, action: 'rerun an org', request: command }))) return;
    const found = await findOrgExactly(deps.db, { query: argument.query });
    if (found.kind === 'guess') {
      const suggestions = found.suggestions.map((o) => ({ id: o.id, name: o.name, slug: o.slug }));
      await respond({
        ...didYouMeanMessage({
          query: argument.query,
          suggestions,
          runDate,
          scope: argument.scope,
          provider: argument.provider,
        }),
        response_type: 'ephemeral',
      });
      return;
    }
    const outcome = await rerunOrg(deps, {
      orgId: found.org.id,
      runDate,
      scope: argument.scope,
      provider: argument.provider,
      triggeredBy: `slack:${input.user_id}`,
      confirmFresh: argument.confirm,
    });
    await respond({
      ...rerunResultMessage({ outcome, userId: input.user_id }),
      response_type: 'ephemeral',
    });
  };
