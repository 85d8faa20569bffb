import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDatabase, queryRows } from '../../src/db/client.ts';
import { addDays, runDateOf } from '../../src/time/business-day.ts';
import { cliEnvironment, sched } from '../support/cli.ts';
import { backends } from '../support/db.ts';

/** A backfill within BACKFILL_DAYS, whatever day the suite runs. */
const YESTERDAY = addDays(runDateOf(new Date(), 'America/New_York'), -1);

/**
 * Provider settings are data: created from the environment once, then changed only by
 * `sched providers set`, which says who changed what; `providers list` shows them.
 */
interface Listed {
  providers: {
    name: string;
    enabled: boolean;
    model: string;
    rpm: number;
    maxConcurrency: number;
    liveWorkers: number;
  }[];
  providersWithoutLiveWorker: string[];
}

describe.each(backends())('sched providers list and set on $name', (backend) => {
  let env: Record<string, string | undefined>;
  let close: () => Promise<void>;
  const list = async (extra: Record<string, string> = {}): Promise<Listed> => {
    const run = await sched(['providers', 'list', '--json'], { ...env, ...extra });
    expect(run).toMatchObject({ code: 0, stderr: '' });
    return JSON.parse(run.stdout);
  };
  const byName = (listed: Listed, name: string) => listed.providers.find((p) => p.name === name);

  beforeAll(async () => {
    ({ env, close } = await cliEnvironment(backend, {
      SIMULATED_PROFILE: 'ideal',
      USER: 'ops',
      OPENAI_RPM: '120',
    }));
    expect((await sched(['migrate'], env)).code).toBe(0);
  }, 120_000);
  afterAll(() => close());

  it('the first start creates the rows from its environment', async () => {
    const listed = await list();
    expect(listed.providers.map((p) => [p.name, p.enabled])).toEqual([
      ['anthropic', true],
      ['gemini', true],
      ['openai', true],
      ['perplexity', true],
    ]);
    expect(byName(listed, 'openai')).toMatchObject({
      model: 'gpt-4o-mini',
      rpm: 120,
      maxConcurrency: 8,
      liveWorkers: 0,
    });
    // Created under a simulated profile: its stand-ins' limit, not the real API's 50 a minute
    // (an explicit OPENAI_RPM, above, still wins).
    expect(byName(listed, 'anthropic')).toMatchObject({ rpm: 1_000_000 });
    expect(listed.providersWithoutLiveWorker).toEqual(['anthropic', 'gemini', 'openai', 'perplexity']);
    const text = await sched(['providers', 'list'], env);
    expect(text.stdout).toMatch(/^openai\s+yes\s+gpt-4o-mini\s+120\s+8\s+0$/m);
    expect(text.stdout).toContain('WARNING: no live worker can call anthropic, gemini, openai, perplexity');
  }, 120_000);

  it('set changes one provider, says what changed and logs who did it', async () => {
    const run = await sched(
      [
        'providers',
        'set',
        'anthropic',
        '--disable',
        '--model',
        'claude-x',
        '--rpm',
        '20',
        '--concurrency',
        '2',
      ],
      env,
    );
    expect(run).toMatchObject({ code: 0, stderr: '' });
    expect(run.stdout).toBe(
      'anthropic: enabled true -> false, model claude-haiku-4-5 -> claude-x, rpm 1000000 -> 20, maxConcurrency 8 -> 2 (by cli:ops)\n',
    );
    expect(byName(await list(), 'anthropic')).toMatchObject({
      enabled: false,
      model: 'claude-x',
      rpm: 20,
      maxConcurrency: 2,
    });
    const database = await openDatabase({ url: env.DATABASE_URL, pgliteDir: env.PGLITE_DIR });
    try {
      const changes = await queryRows<{
        provider: string;
        changed_by: string;
        before: unknown;
        after: unknown;
      }>(database.db, sql`select provider, changed_by, before, after from provider_changes order by id`);
      expect(changes).toHaveLength(1);
      expect(changes[0]).toMatchObject({
        provider: 'anthropic',
        changed_by: 'cli:ops',
        before: { enabled: true, rpm: 1_000_000 },
        after: { enabled: false, rpm: 20, model: 'claude-x', maxConcurrency: 2 },
      });
    } finally {
      await database.close();
    }
    const again = await sched(['providers', 'set', 'anthropic', '--disable'], env);
    expect(again.stdout).toBe('anthropic: already so, nothing changed (by cli:ops)\n');
  }, 120_000);

  it("a later command's environment does not touch existing rows", async () => {
    const stranger = {
      DATABASE_URL: env.DATABASE_URL,
      PGLITE_DIR: env.PGLITE_DIR,
      OPENAI_RPM: '3',
      USER: 'x',
    };
    expect((await sched(['trigger', '--date', YESTERDAY], stranger)).code).toBe(0);
    const listed = await list();
    expect(byName(listed, 'openai')).toMatchObject({ enabled: true, rpm: 120 });
    expect(byName(listed, 'anthropic')).toMatchObject({ enabled: false, rpm: 20 });
    expect(listed.providersWithoutLiveWorker).toEqual(['gemini', 'openai', 'perplexity']);
    const status = await sched(['status', '--date', YESTERDAY], env);
    expect(status.stdout).toContain('WARNING: no live worker can call gemini, openai, perplexity');
  }, 120_000);

  it('set takes several providers (a,b) or all, and says what changed for each', async () => {
    const some = await sched(['providers', 'set', 'gemini,perplexity', '--concurrency', '3'], env);
    expect(some).toMatchObject({ code: 0, stderr: '' });
    expect(some.stdout).toBe(
      'gemini: maxConcurrency 8 -> 3 (by cli:ops)\nperplexity: maxConcurrency 8 -> 3 (by cli:ops)\n',
    );
    const all = await sched(['providers', 'set', 'all', '--concurrency', '3'], env);
    expect(
      all.stdout
        .trim()
        .split('\n')
        .map((line) => line.split(':')[0]),
    ).toEqual(['openai', 'anthropic', 'gemini', 'perplexity']);
    expect((await list()).providers.every((p) => p.maxConcurrency === 3)).toBe(true);
    const bad = await sched(['providers', 'set', 'openai,mistral', '--enable'], env);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/unknown provider "mistral"/);
  }, 120_000);

  it.each([
    [['set'], /name a provider/],
    [['set', 'mistral', '--enable'], /unknown provider "mistral"/],
    [['set', 'openai'], /nothing to change/],
    [['set', 'openai', '--rpm', '0'], /--rpm must be a whole number/],
    [['set', 'openai', '--rpm', '1e3'], /--rpm must be a whole number/],
    [['set', 'openai', '--concurrency', '-1'], /./],
    [['set', 'openai', '--enable', '--disable'], /--enable and --disable together/],
    [['set', 'openai', '--model', ''], /--model must be/],
    [['set', 'openai', 'gemini', '--enable'], /unexpected argument "gemini"/],
    [['set', 'openai', '--bogus'], /bogus/],
    [['list', 'extra'], /./],
    [['frob'], /providers subcommands: check, list, set/],
  ])('providers %j is a usage error (exit 2)', async (args, message) => {
    const run = await sched(['providers', ...args], env);
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(message);
    expect(run.stderr).toContain('usage: sched providers');
  });
});
