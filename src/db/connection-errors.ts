/**
 * Which errors mean "the database cannot be reached right now" rather than "this code is
 * wrong": the CLI turns them into one line and exit 69, the HTTP routes into 503 with
 * Retry-After. Pure: looks only at the error (and what it wraps).
 */

export type ConnectionProblemReason =
  | 'refused'
  | 'unknown_host'
  | 'timeout'
  | 'lost'
  | 'shutting_down'
  | 'too_many_clients'
  | 'unknown_database'
  | 'auth';

export interface ConnectionProblem {
  reason: ConnectionProblemReason;
  /** The driver's or server's code (ECONNREFUSED, 53300, ...) when there is one. */
  code: string | undefined;
  /** The driver's or server's own message. */
  detail: string;
}

const BY_CODE: Record<string, ConnectionProblemReason> = {
  ECONNREFUSED: 'refused',
  ENOTFOUND: 'unknown_host',
  EAI_AGAIN: 'unknown_host',
  ETIMEDOUT: 'timeout',
  EHOSTUNREACH: 'timeout',
  ENETUNREACH: 'timeout',
  ECONNRESET: 'lost',
  EPIPE: 'lost',
  '57P01': 'shutting_down', // admin_shutdown
  '57P02': 'shutting_down', // crash_shutdown
  '57P03': 'shutting_down', // cannot_connect_now (starting up, shutting down, recovery)
  '53300': 'too_many_clients', // server max_connections, or a role's or database's CONNECTION LIMIT
  '3D000': 'unknown_database',
  '28P01': 'auth',
  '28000': 'auth',
  '08000': 'lost', // connection_exception
  '08001': 'refused', // sqlclient_unable_to_establish_sqlconnection
  '08006': 'lost', // connection_failure
};

// node-postgres reports a dropped socket and its own connect timeout with a message, no code.
const BY_MESSAGE: [RegExp, ConnectionProblemReason][] = [
  [/^Connection terminated/, 'lost'],
  [/timeout exceeded when trying to connect/, 'timeout'],
  [/^Client has encountered a connection error and is not queryable/, 'lost'],
];

const SENTENCES: Record<ConnectionProblemReason, string> = {
  refused: 'the connection was refused (is the server running and listening there?)',
  unknown_host: 'the host name does not resolve',
  timeout: 'the server did not answer in time',
  lost: 'the connection was lost',
  shutting_down: 'the server is shutting down or starting up',
  too_many_clients: 'the server refuses more clients (max_connections or a connection limit is reached)',
  unknown_database: 'the database does not exist',
  auth: 'the server refused the user name or password',
};

export const describeReason = (reason: ConnectionProblemReason) => SENTENCES[reason];

function own(error: Error): ConnectionProblem | undefined {
  const code = (error as { code?: unknown }).code;
  if (typeof code === 'string' && BY_CODE[code])
    return { reason: BY_CODE[code], code, detail: error.message };
  const match = BY_MESSAGE.find(([pattern]) => pattern.test(error.message));
  return match ? { reason: match[1], code: undefined, detail: error.message } : undefined;
}

/** The connection problem behind `error`, looking through `cause` and AggregateError; else undefined. */
export function classifyConnectionError(error: unknown, depth = 0): ConnectionProblem | undefined {
  if (!(error instanceof Error) || depth > 5) return undefined;
  const found = own(error);
  if (found) return found;
  // Node's happy-eyeballs connect throws an AggregateError with one error per address tried.
  if (error instanceof AggregateError) {
    for (const inner of error.errors) {
      const problem = classifyConnectionError(inner, depth + 1);
      if (problem) return problem;
    }
  }
  // drizzle wraps the driver's error in a DrizzleQueryError whose cause is the real one.
  return classifyConnectionError(error.cause, depth + 1);
}

/** `host:port/database` of a postgres:// URL: what a person needs to find it, never the password. */
export function describeDatabaseUrl(url: string | undefined): string {
  if (!url) return '(unset)';
  try {
    const parsed = new URL(url);
    const database = decodeURIComponent(parsed.pathname.replace(/^\//, '')) || '(default database)';
    return `${parsed.hostname || 'localhost'}:${parsed.port || '5432'}/${database}`;
  } catch {
    return '(not a valid URL)';
  }
}

/** The one line the CLI prints for a database it cannot reach. */
export function databaseUnavailableLine(url: string | undefined, problem: ConnectionProblem): string {
  return `cannot use the database at DATABASE_URL (${describeDatabaseUrl(url)}): ${describeReason(problem.reason)}`;
}
