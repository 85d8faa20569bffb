import { sentenceMessage } from '../blocks/sentence-message.ts';
import type { Deps } from '../context.ts';
import { claimSlackRequest } from '../store/slack-request-claims.ts';
import { type AccessChecker, type AccessPolicy, allowOrExplain } from './access.ts';
import { type ReplyTarget, reply } from './reply.ts';
import { type SlackRequestIdentity, slackRequestIdentity } from './request-identity.ts';

/**
 * The gate of every Slack request that changes something: it acts at most once. Slack refuses
 * nothing signed within five minutes, so a copy of a request (a replay, a double delivery) would
 * act again; its identity is claimed in PostgreSQL after the access check and before the work,
 * and a copy is told, only to its sender, that nothing was done.
 */

export const ALREADY_HANDLED =
  'That request was already handled; nothing was done again. Press the button or run the command afresh to do it again.';

type OnceDeps = Pick<Deps, 'db' | 'clock' | 'logger'>;

/** true for the first arrival of `request`; a copy is answered and gets false. */
export async function actOnce(
  deps: OnceDeps,
  params: { target: ReplyTarget; request: unknown },
): Promise<boolean> {
  return claimOrExplain(deps, params.target, slackRequestIdentity(params.request));
}

/** allowOrExplain, then actOnce: a refused request writes nothing, an admin's acts once. */
export async function allowOnce(
  deps: OnceDeps & { access: AccessChecker; config: { slack: AccessPolicy } },
  params: { target: ReplyTarget; action: string; request: unknown },
): Promise<boolean> {
  // Read before the access check: a request that cannot be told from its copies never acts.
  const identity = slackRequestIdentity(params.request);
  if (!(await allowOrExplain(deps, params))) return false;
  return claimOrExplain(deps, params.target, identity);
}

async function claimOrExplain(deps: OnceDeps, target: ReplyTarget, identity: SlackRequestIdentity) {
  if (await claimSlackRequest(deps.db, { ...identity, now: deps.clock() })) return true;
  deps.logger.info({ ...identity }, 'a copy of a Slack request that was already handled; nothing done');
  await reply(target, sentenceMessage(ALREADY_HANDLED));
  return false;
}
