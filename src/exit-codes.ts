import { type ErrorCode, isSchedError } from './errors.ts';

/**
 * The one exit-code table of `sched` and `npm start`, after BSD sysexits where one
 * fits: a supervisor restarts on 69 and 75 (the cause is outside the process) and not on 78.
 */
export const EXIT = {
  ok: 0,
  /** The operation ran and found a problem (for example a night that needs attention). */
  problem: 1,
  usage: 2,
  /** EX_UNAVAILABLE: the database cannot be reached. */
  unavailable: 69,
  /** EX_TEMPFAIL: the embedded database is held by another process. */
  inUse: 75,
  /** EX_CONFIG: a bad environment variable. */
  config: 78,
  /** 128 + SIGINT: a second signal while stopping ends the process at once. */
  interrupted: 130,
} as const;

export type ExitCode = (typeof EXIT)[keyof typeof EXIT];

const BY_ERROR_CODE: Partial<Record<ErrorCode, ExitCode>> = {
  usage: EXIT.usage,
  config: EXIT.config,
  unavailable: EXIT.unavailable,
  in_use: EXIT.inUse,
};

/** The exit code a failure ends the process with: a coded error's own, anything else 1. */
export function exitCodeOf(error: unknown): ExitCode {
  return (isSchedError(error) && BY_ERROR_CODE[error.code]) || EXIT.problem;
}
