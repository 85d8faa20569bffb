/** One small vocabulary of errors: a code for programs, one clear sentence for people. */
export type ErrorCode =
  | 'config'
  | 'usage'
  | 'not_found'
  | 'ambiguous'
  | 'forbidden'
  | 'unauthorized'
  | 'conflict'
  | 'unavailable'
  | 'in_use'
  | 'internal';

export class SchedError extends Error {
  readonly code: ErrorCode;
  readonly details: Record<string, unknown> | undefined;

  constructor(code: ErrorCode, message: string, details?: Record<string, unknown>) {
    super(message);
    this.name = 'SchedError';
    this.code = code;
    this.details = details;
  }
}

export const usageError = (message: string) => new SchedError('usage', message);
export const notFound = (message: string, details?: Record<string, unknown>) =>
  new SchedError('not_found', message, details);

export function toError(value: unknown): Error {
  if (value instanceof Error) return value;
  if (typeof value === 'string') return new Error(value);
  try {
    return new Error(JSON.stringify(value));
  } catch {
    return new Error(String(value));
  }
}

export function isSchedError(value: unknown, code?: ErrorCode): value is SchedError {
  return value instanceof SchedError && (code === undefined || value.code === code);
}
