import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import pino, { type Logger } from 'pino';
import pretty from 'pino-pretty';

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
  '*.botToken',
  '*.signingSecret',
  '*.appToken',
  '*.cronSecret',
  'databaseUrl',
  '*.databaseUrl',
  'providers.*.apiKey',
  '*.providers.*.apiKey',
  'headers.cookie',
  '*.headers.authorization',
  '*.headers["x-cron-secret"]',
  '*.headers["x-api-key"]',
];

/**
 * Keys whose values are secrets wherever they sit in a logged object: pino's path list above is
 * fast but fixed-depth, this catches a config or headers object logged one level deeper.
 */
const SECRET_KEY =
  /(token|secret|password|passwd|api[-_]?key|authorization|signature|cookie|database_?url)$/i;
/** Secret-shaped values inside strings: Slack tokens, provider keys, passwords in URLs. */
const SECRET_VALUES: [RegExp, string][] = [
  [/xox[a-z]-[A-Za-z0-9-]+/g, 'xox?-[redacted]'],
  [/xapp-[A-Za-z0-9-]+/g, 'xapp-[redacted]'],
  [/\bsk-[A-Za-z0-9_-]{8,}/g, 'sk-[redacted]'],
  [/(\/\/[^/\s:@]+:)[^@\s/]+@/g, '$1[redacted]@'],
];
const MAX_DEPTH = 8;

function redactString(value: string): string {
  let out = value;
  for (const [pattern, replacement] of SECRET_VALUES) out = out.replace(pattern, replacement);
  return out;
}

/** A copy of `value` with secret keys and secret-shaped strings replaced; errors are left to pino. */
export function redactSecrets(value: unknown, depth = 0, seen = new WeakSet<object>()): unknown {
  if (typeof value === 'string') return redactString(value);
  if (!value || typeof value !== 'object' || value instanceof Error || value instanceof Date) return value;
  // Past the depth limit nothing is checked any more, so nothing is printed either.
  if (depth >= MAX_DEPTH) return '[truncated]';
  if (seen.has(value)) return '[circular]';
  seen.add(value);
  let out: unknown;
  if (Array.isArray(value)) {
    out = value.map((item) => redactSecrets(item, depth + 1, seen));
  } else {
    const copy: Record<string, unknown> = {};
    for (const [key, item] of Object.entries(value)) {
      copy[key] =
        SECRET_KEY.test(key) && item !== undefined && item !== null && item !== ''
          ? '[redacted]'
          : redactSecrets(item, depth + 1, seen);
    }
    out = copy;
  }
  // Only the current path counts as a cycle: the same object logged twice is printed twice.
  seen.delete(value);
  return out;
}

const serializeError = (error: unknown) =>
  error instanceof Error ? redactSecrets(pino.stdSerializers.err(error)) : redactSecrets(error);

export interface LoggerOptions {
  level?: string;
  /** Human-readable lines (the local console); JSON otherwise. */
  pretty?: boolean;
  destination?: NodeJS.WritableStream;
  /** Readable lines appended to this file (the local console, where stdout is the prompt). */
  file?: string;
}

export function createLogger(options: LoggerOptions = {}): Logger {
  const base = {
    level: options.level ?? 'info',
    redact: { paths: REDACT_PATHS, censor: '[redacted]' },
    formatters: {
      log: (object: Record<string, unknown>) => redactSecrets(object) as Record<string, unknown>,
    },
    // An error message can quote a URL or a header: its serialized form is scrubbed too.
    serializers: { err: serializeError, error: serializeError },
    // The message string too: `logger.info(\`calling ${url}\`)` must not print a password.
    hooks: {
      logMethod(this: Logger, args: Parameters<pino.LogFn>, method: pino.LogFn) {
        const scrubbed = args.map((arg) => (typeof arg === 'string' ? redactString(arg) : arg));
        return method.apply(this, scrubbed as Parameters<pino.LogFn>);
      },
    },
  };
  if (options.file) {
    mkdirSync(dirname(options.file), { recursive: true });
    return pino(
      base,
      pretty({
        destination: options.file,
        colorize: false,
        translateTime: 'SYS:HH:MM:ss',
        ignore: 'pid,hostname',
        singleLine: true,
        sync: true,
      }),
    );
  }
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
