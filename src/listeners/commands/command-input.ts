import { z } from 'zod';
import { usageError } from '../../errors.ts';

/**
 * The fields of a slash command the handlers use, checked before anything else reads them.
 * `text` is untrusted and may be anything Slack lets a user type (empty, 5,000 characters,
 * quotes, SQL): handlers treat it as data only.
 */
const schema = z.object({
  command: z.string().min(1),
  text: z.string().default(''),
  user_id: z.string().min(1),
  channel_id: z.string().default(''),
  trigger_id: z.string().default(''),
  response_url: z.string().default(''),
});

export type CommandInput = z.infer<typeof schema> & { args: string };

export function parseCommand(body: unknown): CommandInput {
  const parsed = schema.safeParse(body);
  if (!parsed.success) throw usageError('Slack sent a command I could not read; please try again.');
  return { ...parsed.data, args: parsed.data.text.trim() };
}
