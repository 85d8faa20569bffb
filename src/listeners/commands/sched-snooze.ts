import type { Middleware, SlackCommandMiddlewareArgs } from '@slack/bolt';
import { errorMessage } from '../../blocks/error-message.ts';
import { snoozedMessage } from '../../blocks/snooze-lines.ts';
import { isProviderName } from '../../providers/types.ts';
import { refreshSnoozedNight } from '../../report/refresh-snoozed-night.ts';
import { snoozeFromAsk } from '../../scheduler/snooze-request.ts';
import { allowOnce } from '../../slack/request-once.ts';
import { parseDuration, parseInstant } from '../../time/snooze-end.ts';
import type { SlackDeps } from '../slack-deps.ts';
import { parseCommand } from './command-input.ts';

/**
 * /sched-snooze <provider|org> <duration or until-time> [reason]: admins only. The scope is
 * everything before the first word that reads as an end (2h, 90m, 1d, 06:00, an ISO time,
 * until-success; an "until" or "for" before it is allowed), the reason everything after.
 */

export type SnoozeArgument =
  | { kind: 'snooze'; scope: string; end: string; reason: string | undefined }
  | { kind: 'invalid'; sentence: string };

const USAGE = 'Use `/sched-snooze <provider|org> <2h | 06:00 | ISO time | until-success> [reason]`.';

const isEnd = (word: string) =>
  parseDuration(word) !== undefined ||
  /^([01]?\d|2[0-3]):[0-5]\d$/.test(word) ||
  /^until[- ]?(next[- ]?)?success$/i.test(word) ||
  (/^\d{4}-\d{2}-\d{2}T/.test(word) && parseInstant(word, 'UTC') !== undefined);

export function parseSnoozeArgument(args: string): SnoozeArgument {
  const words = args.split(/\s+/).filter(Boolean);
  if (words.length === 0)
    return { kind: 'invalid', sentence: `Say what to snooze and for how long. ${USAGE}` };
  const at = words.findIndex((w, i) => i > 0 && isEnd(w));
  if (at < 0)
    return { kind: 'invalid', sentence: `Give a duration or an end time after what to snooze. ${USAGE}` };
  let scopeWords = words.slice(0, at);
  if (scopeWords.length > 1 && /^(until|for)$/i.test(scopeWords.at(-1) ?? ''))
    scopeWords = scopeWords.slice(0, -1);
  const reason = words.slice(at + 1).join(' ');
  return { kind: 'snooze', scope: scopeWords.join(' '), end: words[at] ?? '', reason: reason || undefined };
}

export const schedSnoozeCommand =
  (deps: SlackDeps): Middleware<SlackCommandMiddlewareArgs> =>
  async ({ ack, command, respond, client }) => {
    await ack();
    const input = parseCommand(command);
    const target = { respond, client, userId: input.user_id };
    if (!(await allowOnce(deps, { target, action: 'snooze', request: command }))) return;
    const argument = parseSnoozeArgument(input.args);
    if (argument.kind === 'invalid') {
      await respond({ ...errorMessage(argument.sentence), response_type: 'ephemeral' });
      return;
    }
    const scope = argument.scope.toLowerCase();
    const isProvider = isProviderName(scope);
    const outcome = await snoozeFromAsk(deps, {
      ...(isProvider ? { provider: scope } : { org: argument.scope }),
      end: argument.end,
      reason: argument.reason,
      createdBy: input.user_id,
    });
    const message = outcome.ok
      ? snoozedMessage(outcome.snooze, deps.config.timezone, deps.clock())
      : errorMessage(outcome.sentence);
    await respond({ ...message, response_type: outcome.ok ? 'in_channel' : 'ephemeral' });
    if (outcome.ok) await refreshSnoozedNight({ ...deps, client });
  };
