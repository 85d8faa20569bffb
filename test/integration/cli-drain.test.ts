import { Writable } from 'node:stream';
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../../src/cli/main.ts';
import { type Db, openDatabase, queryOne } from '../../src/db/client.ts';
import { cliEnvironment, sched } from '../support/cli.ts';
import { backends } from '../support/db.ts';
import { HIGH_LIMITS } from '../support/worker-fixtures.ts';

/**
 * `sched worker --drain` tells the truth: it waits for a paused provider unless told to skip it
 * (and then says what it leaves), its last progress line comes before its summary and shows
 * the end state, and the summary's numbers are the database's.
 */

/** stdout and stderr as one ordered list of lines, each tagged with its stream. */
async function runOrdered(argv: string[], env: Record<string, string | undefined>) {
  const lines: { stream: 'out' | 'err'; text: string }[] = [];
  const capture = (stream: 'out' | 'err') =>
    new Writable({
      write(chunk, _encoding, callback) {
        for (const text of String(chunk).split('\n')) if (text) lines.push({ stream, text });
        callback();
      },
    });
  const code = await runCli(argv, {
    env: { LOG_LEVEL: 'silent', ...env },
    stdout: capture('out'),
    stderr: capture('err'),
  });
  return { code, lines };
}

const SUMMARY = /^worker \S+: claimed (\d+), succeeded (\d+), failed (\d+), retried (\d+), released (\d+)/;

describe.each(backends())('sched worker --drain on $name', (backend) => {
  let env: Record<string, string | undefined>;
  let close: () => Promise<void>;

  beforeAll(async () => {
    const environment = await cliEnvironment(backend, {
      SIMULATED_PROFILE: 'ideal',
      USER: 'ops',
      ...HIGH_LIMITS,
    });
    env = environment.env;
    close = environment.close;
    expect((await sched(['seed', '--demo', '--orgs', '6', '--prompts-per-org', '3'], env)).code).toBe(0);
    expect((await sched(['trigger'], env)).code).toBe(0);
  }, 180_000);
  afterAll(() => close());

  /** The CLI's database, opened between commands (PGlite admits one process at a time). */
  async function withDb<T>(fn: (db: Db) => Promise<T>): Promise<T> {
    const database = await openDatabase({ url: env.DATABASE_URL, pgliteDir: env.PGLITE_DIR });
    try {
      return await fn(database.db);
    } finally {
      await database.close();
    }
  }
  const counts = () =>
    withDb((db) =>
      queryOne<{ completed: number; failed: number; pending: number; processing: number }>(
        db,
        sql`select count(*) filter (where status = 'completed')::int as completed,
                   count(*) filter (where status = 'failed')::int as failed,
                   count(*) filter (where status = 'pending')::int as pending,
                   count(*) filter (where status = 'processing')::int as processing
            from batch_tasks`,
      ),
    );
  const pause = (seconds: number) =>
    withDb((db) =>
      db.execute(sql`update providers set pause_reason = 'auth: invalid x-api-key',
                            paused_until = now() + make_interval(secs => ${seconds})
                     where name = 'anthropic'`),
    );

  it('--skip-paused leaves a paused provider’s tasks and says so; the last progress line precedes a summary that matches the database', async () => {
    await pause(15 * 60);
    const { code, lines } = await runOrdered(['worker', '--drain', '--skip-paused'], env);
    expect(code).toBe(0);
    const db = await counts();
    const summaryAt = lines.findIndex((l) => l.stream === 'out' && SUMMARY.test(l.text));
    expect(summaryAt).toBeGreaterThanOrEqual(0);
    const [, claimed, succeeded, failed] = SUMMARY.exec(lines[summaryAt]?.text ?? '') ?? [];
    expect(Number(succeeded)).toBe(db?.completed);
    expect(Number(failed)).toBe(db?.failed);
    expect(Number(claimed)).toBe((db?.completed ?? 0) + (db?.failed ?? 0));
    expect(db).toMatchObject({ pending: 17, processing: 0 });

    const progress = lines.filter((l) => l.text.startsWith('draining:'));
    const lastProgressAt = lines.lastIndexOf(progress.at(-1) as (typeof lines)[number]);
    expect(lastProgressAt).toBeGreaterThanOrEqual(0);
    expect(lastProgressAt).toBeLessThan(summaryAt);
    expect(progress.at(-1)?.text).toMatch(/^draining: 101\/101 tasks \(100%\)/);
    const left = lines.find((l) => /left \d+ tasks? pending/.test(l.text));
    expect(left?.text).toMatch(
      /left 17 tasks pending: anthropic paused until \S+ \(auth: invalid x-api-key\)/,
    );
  }, 120_000);

  it('without --skip-paused it waits for the pause to run out and exits with nothing left', async () => {
    const before = await counts();
    await pause(3);
    const { code, lines } = await runOrdered(['worker', '--drain'], env);
    expect(code).toBe(0);
    const after = await counts();
    expect(after).toMatchObject({ pending: 0, processing: 0, failed: 0 });
    const summary = lines.find((l) => SUMMARY.test(l.text));
    const [, , succeeded] = SUMMARY.exec(summary?.text ?? '') ?? [];
    expect(Number(succeeded)).toBe((after?.completed ?? 0) - (before?.completed ?? 0));
    expect(Number(succeeded)).toBe(17);
    expect(lines.filter((l) => l.text.startsWith('draining:')).at(-1)?.text).toMatch(
      /^draining: 17\/17 tasks \(100%\)/,
    );
    expect(lines.some((l) => /left \d+ tasks? pending/.test(l.text))).toBe(false);
  }, 120_000);
});
