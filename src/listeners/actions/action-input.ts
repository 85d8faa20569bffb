import type { RespondFn, webApi } from '@slack/bolt';
import { z } from 'zod';
import { usageError } from '../../errors.ts';
import type { ReplyTarget } from '../../slack/reply.ts';
import type { ReportTarget } from '../../store/slack-reports.ts';
import { parseRunDate } from '../../time/business-day.ts';

/**
 * The fields of a block_actions payload the handlers use, checked once. Button values come back
 * from Slack as the view wrote them, but they pass through a user's client: decoded, never trusted.
 */

const schema = z.object({
  user: z.object({ id: z.string().min(1) }),
  trigger_id: z.string().optional(),
  container: z
    .object({
      type: z.string(),
      message_ts: z.string().optional(),
      channel_id: z.string().optional(),
      is_ephemeral: z.boolean().optional(),
    })
    .optional(),
  channel: z.object({ id: z.string() }).nullish(),
  view: z.object({ id: z.string(), type: z.string() }).nullish(),
  response_url: z.string().optional(),
  actions: z
    .array(
      z.object({
        action_id: z.string(),
        value: z.string().optional(),
        selected_option: z.object({ value: z.string() }).nullish(),
      }),
    )
    .min(1),
});

export interface ActionInput {
  userId: string;
  actionId: string;
  /** The button's value, or the selected option's value of a select. */
  value: string;
  triggerId: string;
  channelId: string | undefined;
  /** The channel message the action sits in (editable); undefined for ephemeral messages and views. */
  message: ReportTarget | undefined;
  /** The modal or Home tab the action sits in. */
  view: { id: string; type: string } | undefined;
  /** Buttons in the Home tab and in modals come without one. */
  responseUrl: string | undefined;
}

export function parseAction(body: unknown): ActionInput {
  const parsed = schema.safeParse(body);
  if (!parsed.success) throw usageError('Slack sent a click I could not read; please try again.');
  const b = parsed.data;
  const action = b.actions[0] as (typeof b.actions)[number];
  const channelId = b.container?.channel_id ?? b.channel?.id ?? undefined;
  const ts = b.container?.message_ts;
  return {
    userId: b.user.id,
    actionId: action.action_id,
    value: action.selected_option?.value ?? action.value ?? '',
    triggerId: b.trigger_id ?? '',
    channelId,
    message: channelId && ts && !b.container?.is_ephemeral ? { channel: channelId, ts } : undefined,
    view: b.view ?? undefined,
    responseUrl: b.response_url || undefined,
  };
}

export function runDateValue(value: string): string {
  const runDate = parseRunDate(value);
  if (!runDate) throw usageError('That button carries no valid date; open a fresh report and try again.');
  return runDate;
}

export interface ClickArgs {
  ack: () => Promise<void>;
  body: unknown;
  respond?: RespondFn;
  client: Pick<webApi.WebClient, 'chat'>;
}

/**
 * The first step of every button handler: ack at once (Slack waits three seconds at most), then
 * read the click, and know where answers go (its response_url when Slack gave one, else a DM).
 */
export async function ackClick(args: ClickArgs): Promise<{ input: ActionInput; target: ReplyTarget }> {
  await args.ack();
  const input = parseAction(args.body);
  const respond = input.responseUrl ? args.respond : undefined;
  return { input, target: { respond, client: args.client, userId: input.userId } };
}
