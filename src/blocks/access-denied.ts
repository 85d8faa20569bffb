import { escapeMrkdwn, inlineText, isSlackUserId } from './format.ts';
import { sentenceMessage } from './sentence-message.ts';

const MAX_NAMED = 10;
const USERGROUP_ID = /^S[A-Z0-9]{2,30}$/;

export interface AccessDeniedInput {
  adminUsers: string[];
  adminUsergroup?: string | undefined;
  /** What was refused, for the sentence: "repair" or "rerun". */
  action?: string;
}

/** "Only <@U1>, <@U2> or members of <!subteam^S1> may repair." (ephemeral, to the one who clicked) */
export function accessDenied(input: AccessDeniedInput) {
  const action = escapeMrkdwn(input.action ?? 'repair or rerun');
  const names = input.adminUsers
    .slice(0, MAX_NAMED)
    .map((id) => (isSlackUserId(id) ? `<@${id}>` : inlineText(id, 40)));
  const others = input.adminUsers.length - names.length;
  if (others > 0) names.push(`${others} other${others === 1 ? '' : 's'}`);
  const group = input.adminUsergroup;
  if (group) {
    names.push(`members of ${USERGROUP_ID.test(group) ? `<!subteam^${group}>` : inlineText(group, 40)}`);
  }
  if (names.length === 0) {
    return sentenceMessage(
      `🔒 Nobody may ${action} yet: an operator has to set SLACK_ADMIN_USERS or SLACK_ADMIN_USERGROUP.`,
    );
  }
  const list = names.length === 1 ? names[0] : `${names.slice(0, -1).join(', ')} or ${names.at(-1)}`;
  return sentenceMessage(`🔒 Only ${list} may ${action}.`);
}
