import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addDays, runDateOf } from '../../src/time/business-day.ts';
import { cliEnvironment, sched } from '../support/cli.ts';
import { backends } from '../support/db.ts';
import { decodePng } from '../support/png.ts';

/** `sched history --chart out.png`: the coverage chart written to a file, on both backends. */
describe.each(backends())('sched history --chart on $name', (backend) => {
  let env: Record<string, string | undefined>;
  let close: () => Promise<void>;
  let dir: string;
  // Yesterday's business day: a backfill within BACKFILL_DAYS, whatever day the suite runs.
  const date = addDays(runDateOf(new Date(), 'America/New_York'), -1);

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'sched-chart-'));
    ({ env, close } = await cliEnvironment(backend, { SIMULATED_PROFILE: 'ideal', USER: 'ops' }));
    expect((await sched(['seed', '--demo'], env)).code).toBe(0);
  }, 180_000);
  afterAll(async () => {
    await close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('writes no file, and says why, while no night has a recorded postcheck', async () => {
    const out = join(dir, 'empty.png');
    const run = await sched(['history', '--chart', out], env);
    expect(run.code).toBe(1);
    expect(run.stderr).toContain('No postcheck recorded in the last 30 nights');
    expect(existsSync(out)).toBe(false);
  });

  it('writes a PNG of the expected size and says where, with what it shows', async () => {
    expect((await sched(['trigger', '--date', date], env)).code).toBe(0);
    expect((await sched(['postcheck', '--date', date], env)).code).toBe(0);
    const out = join(dir, 'coverage.png');
    const run = await sched(['history', '--chart', out], env);
    expect(run.code, run.stderr).toBe(0);
    // The chart starts at the first recorded night, not 30 nights back with the data at the end.
    expect(run.stdout).toContain(`written to ${out} (1600x800 PNG)`);
    expect(run.stdout).toMatch(/^Chart of (one night|the last 2 nights) written/);
    expect(run.stdout).toContain(`${date}: openai 0%`);
    const png = decodePng(readFileSync(out));
    expect([png.width, png.height]).toEqual([1600, 800]);

    const week = await sched(['history', '--chart', join(dir, 'week.png'), '--days', '7'], env);
    expect(week.stdout).toMatch(/^Chart of (one night|the last 2 nights) written/);
  }, 180_000);

  it('rejects --chart with --json, a missing file name and too many nights (exit 2)', async () => {
    const png = join(dir, 'x.png');
    for (const argv of [
      ['history', '--chart', png, '--json'],
      ['history', '--chart'],
      ['history', '--chart', png, '--days', '91'],
    ]) {
      const run = await sched(argv, env);
      expect(run.code, argv.join(' ')).toBe(2);
      expect(run.stderr).toMatch(/usage: sched history/);
    }
  });

  it('fails with one sentence when the file cannot be written', async () => {
    const run = await sched(['history', '--chart', join(dir, 'no-such-dir', 'c.png')], env);
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/cannot write the chart to .*no-such-dir/);
    expect(run.stderr).not.toMatch(/\n\s+at /);
  });
});
