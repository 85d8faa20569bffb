import { z } from 'zod';
import { jsonCodec, runDateField } from './values.ts';

/**
 * What the rerun modal carries to its submission in private_metadata: the business day, and
 * where to answer (the command's response_url, else the channel). Slack returns the metadata as
 * the app wrote it; it is still parsed, never trusted blindly.
 */

// Short keys: private_metadata holds at most 3,000 characters and a response_url is long.
const metadata = jsonCodec(
  z.strictObject({
    d: runDateField,
    c: z.string().max(40).optional(),
    r: z
      .url({ protocol: /^https?$/ })
      .max(1000)
      .optional(),
  }),
);

export type RerunMetadata = {
  runDate: string;
  channelId?: string | undefined;
  responseUrl?: string | undefined;
};

export function encodeRerunMetadata(m: RerunMetadata): string {
  return metadata.encode({
    d: m.runDate,
    ...(m.channelId ? { c: m.channelId } : {}),
    ...(m.responseUrl ? { r: m.responseUrl } : {}),
  });
}

export function decodeRerunMetadata(text: string | undefined): RerunMetadata | undefined {
  const decoded = metadata.decode(text);
  return decoded && { runDate: decoded.d, channelId: decoded.c, responseUrl: decoded.r };
}
