import { describe, expect, it } from 'vitest';
import { commands } from '../../src/cli/commands/index.ts';
import { HELP_WIDTH } from '../../src/cli/help.ts';
import { sched } from '../support/cli.ts';

/**
 * `sched --help` is a list of commands that fits a 100-column terminal (it had lines of 349-382
 * characters); `sched help <command>` and `sched <command> --help` give the details, and a
 * mistyped command or flag gets "did you mean" and exit 2 instead of the whole list.
 */

const env = { PGLITE_DIR: 'memory://' };
const widest = (text: string) => Math.max(...text.split('\n').map((line) => line.length));

describe('sched help', () => {
  it('--help lists every command within 100 columns', async () => {
    const help = await sched(['--help'], env);
    expect(help.code).toBe(0);
    expect(widest(help.stdout)).toBeLessThanOrEqual(HELP_WIDTH);
    for (const { name } of commands) expect(help.stdout).toMatch(new RegExp(`^  sched ${name}\\b`, 'm'));
    expect(help.stdout).toMatch(/sched help <command>/);
  });

  it.each(commands.map((c) => c.name))(
    'sched help %s equals its --help and fits 100 columns',
    async (name) => {
      const viaHelp = await sched(['help', name], env);
      const viaFlag = await sched([name, '--help'], env);
      expect(viaHelp.code).toBe(0);
      expect(viaFlag).toEqual(viaHelp);
      expect(viaHelp.stdout).toMatch(new RegExp(`^usage: sched ${name}\\b`));
      expect(widest(viaHelp.stdout)).toBeLessThanOrEqual(HELP_WIDTH);
    },
  );

  it('answers a mistyped command with the one it likely meant, and exit 2', async () => {
    const result = await sched(['statsu'], env);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/unknown command "statsu"\. Did you mean "sched status"\?/);
    expect(widest(result.stderr)).toBeLessThanOrEqual(HELP_WIDTH);
    const far = await sched(['frobnicate'], env);
    expect(far.code).toBe(2);
    expect(far.stderr).not.toMatch(/Did you mean/);
    expect(far.stderr).toMatch(/sched --help/);
  });

  it('answers a mistyped flag with the flag it likely meant, and exit 2', async () => {
    const result = await sched(['status', '--dat', '2026-03-09'], env);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/unknown option --dat; did you mean --date\?/);
    expect(result.stderr).toMatch(/^usage: sched status/m);
    const snooze = await sched(['snooze', 'add', '--provder', 'openai', '--for', '2h'], env);
    expect(snooze.code).toBe(2);
    expect(snooze.stderr).toMatch(/did you mean --provider\?/);
  });
});
