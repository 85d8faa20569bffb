import { type Logger as BoltLogger, LogLevel } from '@slack/bolt';
import type { Logger } from '../logger.ts';
import { scrubSecrets } from '../secrets.ts';

/**
 * Bolt's logger interface on top of the app's pino logger. Bolt writes whole request bodies at
 * debug level, and a body from Slack carries the legacy verification `token`; pino's redaction
 * works on object keys, not inside strings, so Bolt's lines go through the one string scrubber.
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
