import type { webApi } from '@slack/bolt';
import { accessDenied } from '../blocks/access-denied.ts';
import type { Logger } from '../logger.ts';
import { type ReplyTarget, reply } from './reply.ts';

/**
 * Who may repair and rerun: the users in SLACK_ADMIN_USERS, or members of the user group in
 * SLACK_ADMIN_USERGROUP. Group membership is read through usergroups.users.list and kept for a
 * short while, so a burst of clicks costs one API call. A failed lookup denies (fail closed).
 */

export interface AccessPolicy {
  adminUsers: string[];
  adminUsergroup: string | undefined;
}

export interface AccessChecker {
  isAdmin(userId: string): Promise<boolean>;
}

export const GROUP_CACHE_MS = 60_000;

export function createAccessChecker(
  deps: { client: Pick<webApi.WebClient, 'usergroups'>; logger: Logger; clock: () => Date },
  params: { policy: AccessPolicy; cacheMs?: number | undefined },
): AccessChecker {
  const { client } = deps;
  const { policy } = params;
  const cacheMs = params.cacheMs ?? GROUP_CACHE_MS;
  let cached: { members: Set<string>; at: number } | undefined;
  let inFlight: Promise<Set<string>> | undefined;

  async function groupMembers(group: string): Promise<Set<string>> {
    const now = deps.clock().getTime();
    if (cached && now - cached.at < cacheMs) return cached.members;
    // Concurrent clicks share one lookup instead of each calling Slack.
    inFlight ??= client.usergroups.users
      .list({ usergroup: group })
      .then((result) => {
        const members = new Set(result.users ?? []);
        cached = { members, at: deps.clock().getTime() };
        return members;
      })
      .finally(() => {
        inFlight = undefined;
      });
    return inFlight;
  }

  return {
    async isAdmin(userId) {
      if (policy.adminUsers.includes(userId)) return true;
      if (!policy.adminUsergroup) return false;
      try {
        return (await groupMembers(policy.adminUsergroup)).has(userId);
      } catch (error) {
        deps.logger.warn(
          { err: error, usergroup: policy.adminUsergroup },
          'could not read the admin user group; access denied',
        );
        return false;
      }
    },
  };
}

/**
 * The gate of every handler that changes something: true for an admin; anyone else gets the
 * one-sentence refusal (only they see it) and false, and nothing happens.
 */
export async function allowOrExplain(
  deps: { access: AccessChecker; config: { slack: AccessPolicy } },
  params: { target: ReplyTarget; action: string },
): Promise<boolean> {
  const { target, action } = params;
  if (await deps.access.isAdmin(target.userId)) return true;
  await reply(target, accessDenied({ ...deps.config.slack, action }));
  return false;
}
