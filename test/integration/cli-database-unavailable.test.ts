import { createServer } from 'node:net';
import { describe, expect, it } from 'vitest';
import { classifyConnectionError } from '../../src/db/connection-errors.ts';
import { EXIT } from '../../src/exit-codes.ts';
import { sched } from '../support/cli.ts';
import { postgresUrl } from '../support/db.ts';

/**
 * A database the CLI cannot reach is an outage, not a bug: one line naming DATABASE_URL (host,
 * port and database, never the password), exit 69, and no stack trace unless LOG_LEVEL=debug.
 */

const PASSWORD = 'hunter2-never-printed';

/** A loopback port nothing listens on: bound once to get a free number, then released. */
async function refusedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

function expectOneLine(stderr: string, ...fragments: string[]) {
  const lines = stderr.trimEnd().split('\n');
  expect(lines, stderr).toHaveLength(1);
  expect(stderr).toMatch(/DATABASE_URL/);
  for (const fragment of fragments) expect(stderr).toContain(fragment);
  expect(stderr).not.toContain(PASSWORD);
  expect(stderr).not.toMatch(/\n\s+at /);
}

describe('sched against a database it cannot reach', () => {
  it('a refused port: one line naming DATABASE_URL, exit 69', async () => {
    const port = await refusedPort();
    const result = await sched(['status'], {
      DATABASE_URL: `postgres://sched:${PASSWORD}@127.0.0.1:${port}/sched`,
    });
    expect(result.code).toBe(EXIT.unavailable);
    expectOneLine(result.stderr, `127.0.0.1:${port}/sched`, 'refused');
  });

  it('an unknown host: one line naming DATABASE_URL, exit 69', async () => {
    const result = await sched(['history'], {
      DATABASE_URL: `postgres://sched:${PASSWORD}@nonexistent.invalid:5432/sched`,
    });
    expect(result.code).toBe(EXIT.unavailable);
    expectOneLine(result.stderr, 'nonexistent.invalid:5432/sched');
  });

  it('prints the stack as well with LOG_LEVEL=debug', async () => {
    const port = await refusedPort();
    const result = await sched(['status'], {
      DATABASE_URL: `postgres://sched:${PASSWORD}@127.0.0.1:${port}/sched`,
      LOG_LEVEL: 'debug',
    });
    expect(result.code).toBe(EXIT.unavailable);
    expect(result.stderr.split('\n')[0]).toMatch(/DATABASE_URL/);
    expect(result.stderr).toMatch(/\n\s+at /);
    expect(result.stderr).not.toContain(PASSWORD);
  });

  it.skipIf(!postgresUrl)(
    'an unknown database on a live server: one line, exit 78 (configuration)',
    async () => {
      const url = new URL(postgresUrl as string);
      url.pathname = '/sched_no_such_database';
      url.password = PASSWORD;
      const result = await sched(['status'], { DATABASE_URL: url.toString() });
      expect(result.code).toBe(EXIT.config);
      expectOneLine(
        result.stderr,
        `${url.hostname}:${url.port || 5432}/sched_no_such_database`,
        'does not exist',
      );
    },
  );
});

describe('classifyConnectionError', () => {
  const coded = (code: string, message = 'x') => Object.assign(new Error(message), { code });

  it('knows the network and server codes of a database that cannot be reached', () => {
    expect(classifyConnectionError(coded('ECONNREFUSED'))?.reason).toBe('refused');
    expect(classifyConnectionError(coded('ENOTFOUND'))?.reason).toBe('unknown_host');
    expect(classifyConnectionError(coded('EAI_AGAIN'))?.reason).toBe('unknown_host');
    expect(classifyConnectionError(coded('57P01'))?.reason).toBe('shutting_down');
    expect(classifyConnectionError(coded('57P03'))?.reason).toBe('shutting_down');
    expect(classifyConnectionError(coded('53300'))?.reason).toBe('too_many_clients');
    expect(classifyConnectionError(coded('3D000'))?.reason).toBe('unknown_database');
    expect(classifyConnectionError(coded('28P01'))?.reason).toBe('auth');
    expect(classifyConnectionError(coded('28000'))?.reason).toBe('auth');
  });

  it('looks through drizzle causes and happy-eyeballs AggregateErrors', () => {
    const wrapped = new Error('Failed query: select 1', { cause: coded('53300') });
    expect(classifyConnectionError(wrapped)?.reason).toBe('too_many_clients');
    const both = new AggregateError([coded('ECONNREFUSED'), coded('ECONNREFUSED')], 'connect');
    expect(classifyConnectionError(both)?.reason).toBe('refused');
    expect(classifyConnectionError(new Error('Connection terminated unexpectedly'))?.reason).toBe('lost');
  });

  it('leaves every other error alone', () => {
    expect(classifyConnectionError(coded('23505'))).toBeUndefined();
    expect(classifyConnectionError(coded('42P01'))).toBeUndefined();
    expect(classifyConnectionError(new Error('boom'))).toBeUndefined();
    expect(classifyConnectionError('ECONNREFUSED')).toBeUndefined();
  });
});
