/**
 * Which errors mean "the database cannot be used right now" rather than "this code is wrong":
 * any error raised while a connection is being made (src/db/client.ts marks those), and a
 * connection lost under a query. The CLI turns them into one line and exit 69 (78 for a wrong
 * password or an unknown database: DATABASE_URL must change), the HTTP routes into 503 with
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
  | 'auth'
  | 'refused_by_server';

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
  '57P04': 'lost', // database_dropped
  '57P05': 'lost', // idle_session_timeout
  '08001': 'refused', // sqlclient_unable_to_establish_sqlconnection
};

// Class 08 (connection exception) is a connection lost or broken, whichever code of the class.
const LOST_CLASS = /^08[0-9A-Z]{3}$/;

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
  refused_by_server: 'the server refused the connection',
};

export const describeReason = (reason: ConnectionProblemReason) => SENTENCES[reason];

/** A wrong password or an unknown database: retrying cannot help, DATABASE_URL must change. */
export const isConfigurationProblem = (problem: ConnectionProblem) =>
  problem.reason === 'auth' || problem.reason === 'unknown_database';

/** The errors the driver raised while connecting (55000, 53300, anything): src/db/client.ts marks them. */
const raisedAtConnect = new WeakSet<Error>();

/** Marks `error` as raised while a connection was being made; returns it, for `throw`. */
export function markConnectError<T>(error: T): T {
  if (error instanceof Error) raisedAtConnect.add(error);
  return error;
}

function own(error: Error): ConnectionProblem | undefined {
  const raw = (error as { code?: unknown }).code;
  const code = typeof raw === 'string' ? raw : undefined;
  const detail = error.message;
  if (code && BY_CODE[code]) return { reason: BY_CODE[code], code, detail };
  if (code && LOST_CLASS.test(code)) return { reason: 'lost', code, detail };
  const match = BY_MESSAGE.find(([pattern]) => pattern.test(detail));
  if (match) return { reason: match[1], code: undefined, detail };
  // Whatever the server or the socket said while connecting: the database is not usable now.
  if (raisedAtConnect.has(error)) return { reason: 'refused_by_server', code, detail };
  return undefined;
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

/**
 * The one line the CLI prints for a database it cannot use. A refusal with no code of its own
 * carries the server's sentence ("database x is not currently accepting connections"): the only
 * clue a person has. Server messages name users and databases, never passwords.
 */
export function databaseUnavailableLine(url: string | undefined, problem: ConnectionProblem): string {
  const why =
    problem.reason === 'refused_by_server'
      ? `${describeReason(problem.reason)}: ${problem.detail}`
      : describeReason(problem.reason);
  const fix = isConfigurationProblem(problem) ? '; fix DATABASE_URL' : '';
  return `cannot use the database at DATABASE_URL (${describeDatabaseUrl(url)}): ${why}${fix}`;
}
