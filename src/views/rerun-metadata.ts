import { z } from 'zod';
import { parseRunDate } from '../time/business-day.ts';

/**
 * What the rerun modal carries to its submission in private_metadata: the business day, and
 * where to answer (the command's response_url, else the channel). Slack returns the metadata as
 * the app wrote it; it is still parsed, never trusted blindly.
 */

const schema = z.object({
  d: z.string().refine((v) => parseRunDate(v) !== undefined),
  c: z.string().max(40).optional(),
  r: z
    .url({ protocol: /^https?$/ })
    .max(1000)
    .optional(),
});

export type RerunMetadata = {
  runDate: string;
  channelId?: string | undefined;
  responseUrl?: string | undefined;
};

export function encodeRerunMetadata(m: RerunMetadata): string {
  return JSON.stringify({
    d: m.runDate,
    ...(m.channelId ? { c: m.channelId } : {}),
    ...(m.responseUrl ? { r: m.responseUrl } : {}),
  });
}

export function decodeRerunMetadata(text: string | undefined): RerunMetadata | undefined {
  try {
    const parsed = schema.safeParse(JSON.parse(text ?? ''));
    if (!parsed.success) return undefined;
    return { runDate: parsed.data.d, channelId: parsed.data.c, responseUrl: parsed.data.r };
  } catch {
    return undefined;
  }
}
