import { type Logger as BoltLogger, LogLevel } from '@slack/bolt';
import type { Logger } from '../logger.ts';

/**
 * Bolt's logger interface on top of the app's pino logger. Bolt writes whole request bodies at
 * debug level, and a body from Slack carries the legacy verification `token`; pino's redaction
 * works on object keys, not inside strings, so Bolt's lines are scrubbed here before they are written.
 */
export function boltLogger(pinoLogger: Logger): BoltLogger {
  const log = pinoLogger.child({ component: 'bolt' });
  const line = (parts: unknown[]) =>
    scrubSecrets(parts.map((p) => (typeof p === 'string' ? p : JSON.stringify(p))).join(' '));
  let level = LogLevel.INFO;
  return {
    debug: (...m) => log.debug(line(m)),
    info: (...m) => log.info(line(m)),
    warn: (...m) => log.warn(line(m)),
    error: (...m) => log.error(line(m)),
    setLevel: (l) => {
      level = l;
    },
    getLevel: () => level,
    setName: () => {},
  };
}

const SECRETS: [RegExp, string][] = [
  [/xox[abposre]-[A-Za-z0-9-]+/g, 'xox?-[redacted]'],
  [/xapp-[A-Za-z0-9-]+/g, 'xapp-[redacted]'],
  [/("(?:token|client_secret|signing_secret)"\s*:\s*")[^"]*"/g, '$1[redacted]"'],
  [/\b(token=)[^&\s"]*/g, '$1[redacted]'],
];

/** Pure: a log line with Slack tokens and token fields replaced. */
export function scrubSecrets(text: string): string {
  return SECRETS.reduce((out, [pattern, replacement]) => out.replace(pattern, replacement), text);
}
