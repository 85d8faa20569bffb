import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { DrizzleQueryError } from 'drizzle-orm/errors';
import pino, { type Logger } from 'pino';
import pretty from 'pino-pretty';
import { REDACT_PATHS, scrubSecrets } from './secrets.ts';

export type { Logger };

/** Longest statement text a failed query's log line quotes. */
const MAX_LOGGED_QUERY = 500;

/**
 * drizzle's DrizzleQueryError: its message and `params` carry every parameter of the statement
 * (a batch of prompts and answers, kilobytes of customer text). The log keeps the statement and
 * the database's own error (the cause, with its code); the parameters are counted, not quoted.
 */
function withoutQueryParams(error: Error): Error {
  if (!(error instanceof DrizzleQueryError)) return error;
  const query =
    error.query.length > MAX_LOGGED_QUERY ? `${error.query.slice(0, MAX_LOGGED_QUERY)}…` : error.query;
  const shown = new Error(`Failed query: ${query}`, { cause: error.cause });
  shown.name = error.name;
  // The frames only: the stack's head repeats the message, parameters included.
  const frames = (error.stack ?? '').split('\n').filter((line) => /^\s+at /.test(line));
  shown.stack = [`${shown.name}: ${shown.message}`, ...frames].join('\n');
  const code = (error.cause as { code?: unknown } | undefined)?.code;
  return Object.assign(shown, {
    params: `${error.params.length} parameters, not logged`,
    ...(typeof code === 'string' ? { code } : {}),
  });
}

/** An error's serialized form can quote a URL or a header: its strings are scrubbed too. */
function serializeError(error: unknown): unknown {
  if (!(error instanceof Error)) return typeof error === 'string' ? scrubSecrets(error) : error;
  const serialized = pino.stdSerializers.err(withoutQueryParams(error)) as unknown as Record<string, unknown>;
  return Object.fromEntries(
    Object.entries(serialized).map(([key, value]) => [
      key,
      typeof value === 'string' ? scrubSecrets(value) : value,
    ]),
  );
}

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
    // Secret keys at any depth, by path (src/secrets.ts); the logged object itself is untouched.
    redact: { paths: REDACT_PATHS, censor: '[redacted]' },
    serializers: { err: serializeError, error: serializeError },
    // The message string too: `logger.info(\`calling ${url}\`)` must not print a password.
    hooks: {
      logMethod(this: Logger, args: Parameters<pino.LogFn>, method: pino.LogFn) {
        const scrubbed = args.map((arg) => (typeof arg === 'string' ? scrubSecrets(arg) : arg));
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
