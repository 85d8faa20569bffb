import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addDays, runDateOf } from '../../src/time/business-day.ts';
import { cliEnvironment, sched } from '../support/cli.ts';
import { backends } from '../support/db.ts';

/**
 * The demo profile leaves a few units failed after a night; a repair from the CLI (each command
 * a new runtime, as a user's commands are) must heal them: the simulated failures depend on the
 * unit and its attempt, not on how many calls one process has made.
 */
describe.each(backends())('a demo night repaired from the CLI on $name', (backend) => {
  let env: Record<string, string | undefined>;
  let close: () => Promise<void>;
  // Yesterday's business day: a backfill within BACKFILL_DAYS, whatever day the suite runs.
  const date = addDays(runDateOf(new Date(), 'America/New_York'), -1);

  beforeAll(async () => {
    const environment = await cliEnvironment(backend, {
      SIMULATED_PROFILE: 'demo',
      WORKER_CONCURRENCY: '32',
      OPENAI_MAX_CONCURRENCY: '16',
      ANTHROPIC_MAX_CONCURRENCY: '16',
      GEMINI_MAX_CONCURRENCY: '16',
      PERPLEXITY_MAX_CONCURRENCY: '16',
      // The real APIs' default rpm (50 for some) would stretch a 600-unit night over minutes.
      OPENAI_RPM: '3000',
      ANTHROPIC_RPM: '3000',
      GEMINI_RPM: '3000',
      PERPLEXITY_RPM: '3000',
      USER: 'ops',
    });
    env = environment.env;
    close = environment.close;
    expect((await sched(['seed', '--demo'], env)).code).toBe(0);
  }, 180_000);
  afterAll(async () => close?.());

  it('ends at 100 %', async () => {
    expect((await sched(['trigger', '--date', date], env)).code).toBe(0);
    const night = await sched(['worker', '--drain'], env);
    expect(night.stdout).toMatch(/failed [1-9]/);
    const before = JSON.parse((await sched(['postcheck', '--date', date, '--json'], env)).stdout);
    expect(before.units.missing).toBeGreaterThan(0);

    const repair = await sched(['postcheck', '--date', date, '--repair', '--json'], env);
    expect(JSON.parse(repair.stdout).repair.tasks).toBe(before.units.missing);
    const drained = await sched(['worker', '--drain'], env);
    expect(drained.stdout).toMatch(
      new RegExp(`claimed ${before.units.missing}, succeeded ${before.units.missing}, failed 0`),
    );
    const after = JSON.parse((await sched(['postcheck', '--date', date, '--json'], env)).stdout);
    expect(after.units).toMatchObject({ missing: 0, coveragePercent: 100 });
    expect(after.summary.overallHealth).toBe('HEALTHY');
  }, 300_000);
});
