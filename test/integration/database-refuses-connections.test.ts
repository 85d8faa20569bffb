import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { describeFailure } from '../../src/app/failure.ts';
import { type Database, openDatabase } from '../../src/db/client.ts';
import { classifyConnectionError, markConnectError } from '../../src/db/connection-errors.ts';
import { EXIT } from '../../src/exit-codes.ts';
import { sched } from '../support/cli.ts';
import { postgresUrl } from '../support/db.ts';
import { call, type OpsServer, startOpsServer } from '../support/ops-server.ts';
import { clockedDeps } from '../support/scheduler-deps.ts';

/**
 * A database that exists but refuses connections (ALTER DATABASE ... allow_connections false:
 * SQLSTATE 55000 at connect) is unavailable like a server that is down: 503 with Retry-After on
 * HTTP, exit 69 on the CLI. A database that does not exist is a configuration error: exit 78
 * naming DATABASE_URL. A scratch database of its own is refused, never the shared ones.
 */

const SECRET = 'cron-secret-for-refusal-tests';
const PASSWORD = 'hunter2-never-printed';

describe.skipIf(!postgresUrl)('a PostgreSQL database that does not allow connections', () => {
  const name = `sched_refusing_${process.pid}_${randomBytes(4).toString('hex')}`;
  const admin = new pg.Client({ connectionString: postgresUrl });
  let url: string;
  let database: Database;
  let server: OpsServer;

  beforeAll(async () => {
    await admin.connect();
    await admin.query(`create database ${name}`);
    await admin.query(`alter database ${name} allow_connections false`);
    const parsed = new URL(postgresUrl as string);
    parsed.pathname = `/${name}`;
    parsed.password = PASSWORD;
    url = parsed.toString();
    database = await openDatabase({ url, poolSize: 2, connectionTimeoutMs: 5_000 });
    server = await startOpsServer(clockedDeps(database.db, new Date(), { CRON_SECRET: SECRET }));
  });
  afterAll(async () => {
    await server?.close();
    await database?.close().catch(() => undefined);
    await admin.query(`drop database if exists ${name}`).catch(() => undefined);
    await admin.end();
  });

  it('POST /functions/v1/scheduler-postcheck answers 503 with Retry-After', async () => {
    const response = await call(`${server.url}/functions/v1/scheduler-postcheck`, { secret: SECRET });
    expect(response.status, response.text).toBe(503);
    expect(Number(response.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(response.json).toMatchObject({ error: 'database_unavailable' });
  });

  it('the CLI says so in one line naming DATABASE_URL, exit 69', async () => {
    const result = await sched(['postcheck'], { DATABASE_URL: url });
    expect(result.code, result.stderr).toBe(EXIT.unavailable);
    expect(result.stderr.trimEnd().split('\n')).toHaveLength(1);
    expect(result.stderr).toContain(`DATABASE_URL (${new URL(url).hostname}:`);
    expect(result.stderr).toContain('not currently accepting connections');
    expect(result.stderr).not.toContain(PASSWORD);
  });

  it('an unknown database is a configuration error: exit 78 naming DATABASE_URL', async () => {
    const unknown = new URL(url);
    unknown.pathname = `/${name}_missing`;
    const result = await sched(['status'], { DATABASE_URL: unknown.toString() });
    expect(result.code, result.stderr).toBe(EXIT.config);
    expect(result.stderr.trimEnd().split('\n')).toHaveLength(1);
    expect(result.stderr).toMatch(new RegExp(`DATABASE_URL .*${name}_missing.*does not exist`));
    expect(result.stderr).not.toContain(PASSWORD);
  });

  it('over HTTP an unknown database is 503 too, with the reason in the body', async () => {
    const unknown = new URL(url);
    unknown.pathname = `/${name}_missing`;
    const missing = await openDatabase({ url: unknown.toString(), poolSize: 1, connectionTimeoutMs: 5_000 });
    const other = await startOpsServer(clockedDeps(missing.db, new Date(), { CRON_SECRET: SECRET }));
    try {
      const response = await call(`${other.url}/functions/v1/scheduler-postcheck`, { secret: SECRET });
      expect(response.status, response.text).toBe(503);
      expect(Number(response.headers.get('retry-after'))).toBeGreaterThan(0);
      expect(response.json.message).toMatch(/database does not exist/);
    } finally {
      await other.close();
      await missing.close().catch(() => undefined);
    }
  });
});

describe('errors raised while connecting, and connections lost under a query', () => {
  const coded = (code: string, message = 'x') => Object.assign(new Error(message), { code });
  const env = { DATABASE_URL: `postgres://sched:${PASSWORD}@db.example:5432/sched` };

  it('any server error at connect is "unavailable", exit 69', () => {
    for (const code of ['55000', '57P03', '53300', '53100', 'XX000']) {
      const error = markConnectError(coded(code, `server said ${code}`));
      expect(classifyConnectionError(error), code).toBeDefined();
      const failure = describeFailure(error, env);
      expect(failure.code, code).toBe(EXIT.unavailable);
      expect(failure.line).toContain('DATABASE_URL (db.example:5432/sched)');
    }
  });

  it('the same code raised by a query, not a connect, is not a connection problem', () => {
    expect(classifyConnectionError(coded('55000'))).toBeUndefined();
    expect(classifyConnectionError(coded('53100'))).toBeUndefined();
  });

  it('a connection lost under a query is "unavailable": 57P01, 57P05, the 08 class', () => {
    for (const code of ['57P01', '57P02', '57P05', '08006', '08003', '08P01'])
      expect(describeFailure(coded(code), env).code, code).toBe(EXIT.unavailable);
  });

  it('a wrong password or an unknown database is a configuration error, exit 78, never the password', () => {
    for (const code of ['28P01', '28000', '3D000']) {
      const failure = describeFailure(markConnectError(coded(code, 'refused')), env);
      expect(failure.code, code).toBe(EXIT.config);
      expect(failure.line).toContain('DATABASE_URL (db.example:5432/sched)');
      expect(failure.line).not.toContain(PASSWORD);
    }
  });
});
