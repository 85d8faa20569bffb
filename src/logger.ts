import pino, { type Logger } from 'pino';

export type { Logger };

/**
 * Paths that may carry secrets. pino replaces them before a line is written, so an API key or
 * token passed into a log call by mistake never reaches the output.
 */
export const REDACT_PATHS = [
  'apiKey',
  '*.apiKey',
  'token',
  '*.token',
  'secret',
  '*.secret',
  'password',
  '*.password',
  'authorization',
  '*.authorization',
  'headers.authorization',
  'headers["x-api-key"]',
  'headers["x-goog-api-key"]',
  'headers["x-cron-secret"]',
  'headers["x-slack-signature"]',
  'config.slack.botToken',
  'config.slack.signingSecret',
  'config.slack.appToken',
  'config.cronSecret',
  'config.providers.*.apiKey',
  'botToken',
  'signingSecret',
  'appToken',
  'cronSecret',
];

export interface LoggerOptions {
  level?: string;
  /** Human-readable lines (the local console); JSON otherwise. */
  pretty?: boolean;
  destination?: NodeJS.WritableStream;
}

export function createLogger(options: LoggerOptions = {}): Logger {
  const base = {
    level: options.level ?? 'info',
    redact: { paths: REDACT_PATHS, censor: '[redacted]' },
  };
  if (options.pretty) {
    return pino(
      base,
      pino.transport({
        target: 'pino-pretty',
        options: { colorize: true, translateTime: 'SYS:HH:MM:ss', ignore: 'pid,hostname' },
      }),
    );
  }
  return options.destination ? pino(base, options.destination as pino.DestinationStream) : pino(base);
}

/** A logger that writes nothing: for tests and for CLI commands that print their own output. */
export const silentLogger = (): Logger => pino({ level: 'silent' });
