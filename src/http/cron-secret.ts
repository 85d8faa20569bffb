import { createHash, timingSafeEqual } from 'node:crypto';

/**
 * The x-cron-secret check of the /functions/v1 endpoints. Both sides are hashed with SHA-256
 * before timingSafeEqual, so the comparison takes the same time whatever the input and the
 * length of the secret does not leak either (timingSafeEqual alone throws on unequal lengths).
 */

export type CronSecretCheck = 'ok' | 'not_configured' | 'missing' | 'wrong';

const digest = (value: string) => createHash('sha256').update(value, 'utf8').digest();

export function checkCronSecret(
  configured: string | undefined,
  presented: string | string[] | undefined,
): CronSecretCheck {
  if (!configured) return 'not_configured';
  const value = Array.isArray(presented) ? presented[0] : presented;
  if (value === undefined || value === '') return 'missing';
  return timingSafeEqual(digest(configured), digest(value)) ? 'ok' : 'wrong';
}
