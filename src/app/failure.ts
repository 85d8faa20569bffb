import {
  classifyConnectionError,
  databaseUnavailableLine,
  isConfigurationProblem,
} from '../db/connection-errors.ts';
import { isSchedError } from '../errors.ts';
import { EXIT, type ExitCode, exitCodeOf } from '../exit-codes.ts';

/**
 * How `sched` and `npm start` end on an error: one line for a person and the exit code from the
 * table. An outage or a coded error is a sentence; the stack trace only for unexpected errors,
 * or for everything with LOG_LEVEL=debug.
 */
export interface Failure {
  line: string;
  code: ExitCode;
  stack: string | undefined;
}

export function describeFailure(error: unknown, env: Record<string, string | undefined>): Failure {
  const debug = env.LOG_LEVEL === 'debug' || env.LOG_LEVEL === 'trace';
  const stack = error instanceof Error ? error.stack : undefined;
  const problem = classifyConnectionError(error);
  if (problem) {
    return {
      line: databaseUnavailableLine(env.DATABASE_URL, problem),
      code: isConfigurationProblem(problem) ? EXIT.config : EXIT.unavailable,
      stack: debug ? stack : undefined,
    };
  }
  if (isSchedError(error))
    return { line: error.message, code: exitCodeOf(error), stack: debug ? stack : undefined };
  return {
    line: error instanceof Error ? error.message : String(error),
    code: EXIT.problem,
    stack,
  };
}

/** The text to write to stderr: `prefix: line`, then the stack when there is one to show. */
export function formatFailure(prefix: string, failure: Failure): string {
  const stack = failure.stack?.split('\n').slice(1).join('\n');
  return `${prefix}: ${failure.line}\n${stack ? `${stack}\n` : ''}`;
}
