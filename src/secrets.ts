/**
 * The one place that knows what a secret looks like. Logs (pino's redact paths and the string
 * scrubber), Bolt's log lines and provider error messages all go through here.
 */

/** Keys whose values are secrets wherever they sit in a logged object. */
const SECRET_KEYS = [
  'apiKey',
  'token',
  'botToken',
  'appToken',
  'secret',
  'signingSecret',
  'cronSecret',
  'password',
  'authorization',
  'cookie',
  'databaseUrl',
  'heartbeatUrl',
  'routingKey',
  'routing_key',
  'x-api-key',
  'x-goog-api-key',
  'x-cron-secret',
  'x-slack-signature',
] as const;

/** Deep enough for a config inside deps inside a runtime; pino compiles the list once. */
const MAX_DEPTH = 6;

/** pino `redact` paths: every secret key at every depth up to MAX_DEPTH. */
export const REDACT_PATHS = SECRET_KEYS.flatMap((key) => {
  const plain = /^[A-Za-z_]\w*$/.test(key);
  return Array.from({ length: MAX_DEPTH + 1 }, (_, depth) => {
    if (plain) return `${'*.'.repeat(depth)}${key}`;
    const parent = depth === 0 ? '' : `*${'.*'.repeat(depth - 1)}`;
    return `${parent}["${key}"]`;
  });
});

/** Secret-shaped text inside strings: Slack tokens, provider keys, token fields, URL passwords. */
const SECRET_PATTERNS: [RegExp, string][] = [
  [/xox[a-z]-[A-Za-z0-9-]+/g, 'xox?-[redacted]'],
  [/xapp-[A-Za-z0-9-]+/g, 'xapp-[redacted]'],
  [/\bsk-[A-Za-z0-9_-]{8,}/g, 'sk-[redacted]'],
  [/(\/\/[^/\s:@]+:)[^@\s/]+@/g, '$1[redacted]@'],
  [/("(?:token|client_secret|signing_secret)"\s*:\s*")[^"]*"/g, '$1[redacted]"'],
  [/\b(token=)[^&\s"]*/g, '$1[redacted]'],
];

/**
 * Pure: `text` with secret-shaped values replaced, and with each of `known` (the configured keys,
 * at least 4 characters) replaced wherever it appears.
 */
export function scrubSecrets(text: string, known: readonly string[] = []): string {
  const scrubbed = SECRET_PATTERNS.reduce(
    (out, [pattern, replacement]) => out.replace(pattern, replacement),
    text,
  );
  return known
    .filter((s) => s.length >= 4)
    .reduce((out, secret) => out.split(secret).join('[redacted]'), scrubbed);
}
