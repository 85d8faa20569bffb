import type { MissingReason } from './types.ts';

/**
 * Why a unit is missing, in words: the one mapping every view, the console and the CLI use, so
 * nobody reads a raw code such as `not_scheduled`. The JSON keeps the codes (saved queries).
 */
const WORDS: Record<MissingReason, string> = {
  rate_limited: 'rate limited',
  timeout: 'timed out',
  server: 'provider server error',
  network: 'network error',
  auth: 'API key rejected',
  quota: 'out of credit',
  bad_request: 'request rejected',
  empty_answer: 'empty answer',
  content_filtered: 'blocked or filtered by the provider',
  failed: 'failed',
  pending: 'still queued',
  processing: 'still running',
  cancelled: 'cancelled',
  enabled_after_trigger: 'enabled after the trigger',
  not_scheduled: 'never queued',
};

export const MISSING_REASONS = Object.keys(WORDS) as MissingReason[];

/** The words for a reason code; an unknown code (a newer writer) is shown with spaces. */
export function reasonWords(reason: string): string {
  return (WORDS as Record<string, string>)[reason] ?? reason.replace(/_/g, ' ');
}
