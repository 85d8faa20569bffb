import { sql } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { consoleOperations } from '../../src/console/operations.ts';
import { queryRows } from '../../src/db/client.ts';
import { isSchedError } from '../../src/errors.ts';
import { PROVIDER_NAMES } from '../../src/provider-names.ts';
import { backends } from '../support/db.ts';
import { clockedDeps, endNightWithFailures, nightFixture } from '../support/scheduler-deps.ts';

const RUN_DATE = '2026-03-02';
const T0 = new Date('2026-03-02T08:00:00Z');

/** The local console's `repair` and `postcheck --repair` take the CLI's scope flags. */
describe.each(backends())('console repair scope on $name', (backend) => {
  // Every perplexity unit failed; everything else answered.
  const night = nightFixture(backend, {
    trigger: { runDate: RUN_DATE, at: T0 },
    shape: (db) => endNightWithFailures(db, RUN_DATE, T0, 'perplexity', 'server'),
  });
  const operations = () =>
    consoleOperations({
      ...clockedDeps(night.db, '2026-03-02T09:10:00Z'),
      signal: new AbortController().signal,
      providers: PROVIDER_NAMES,
    });
  const live = () =>
    queryRows<{ provider: string; n: number }>(
      night.db,
      sql`select provider, count(*)::int as n from batch_tasks where status = 'pending' group by provider`,
    );

  it('repair --provider enqueues only that provider, and says the scope', async () => {
    const lines: string[] = [];
    await operations().repair?.run(['--failed', '--provider', 'openai'], (line) => lines.push(line));
    expect(await live()).toEqual([]);
    expect(lines.join('\n')).toContain('[failed units only, openai only]');
    await operations().repair?.run(['--provider', 'perplexity'], (line) => lines.push(line));
    expect(await live()).toEqual([{ provider: 'perplexity', n: 42 }]);
  });

  it('postcheck refuses scope flags without --repair, and an unknown provider', async () => {
    const ops = operations();
    const noRepair = await ops.postcheck?.run(['--failed'], () => undefined).catch((e) => e);
    expect(isSchedError(noRepair, 'usage')).toBe(true);
    const unknown = await ops.repair?.run(['--provider', 'mistral'], () => undefined).catch((e) => e);
    expect(isSchedError(unknown, 'usage')).toBe(true);
    expect(await live()).toEqual([]);
  });
});
