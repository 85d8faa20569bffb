import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { BotProcess } from '../support/spawn-bot.ts';
import { copyPgliteTemplate } from '../support/template.ts';

/**
 * `printf '/sched-status\nquit\n' | npm start -- --console`: the whole input is there, and
 * closed, long before the console is ready. Every line must still run, in order, and the end of
 * the input then stops the bot with 0.
 */

const STARTUP_MS = 120_000;
const dataDir = mkdtempSync(join(tmpdir(), 'sched-piped-'));
afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

describe('npm start -- --console with its input piped in at once', () => {
  it('runs every line that arrived before the console was ready', { timeout: STARTUP_MS * 4 }, async () => {
    const pgliteDir = join(dataDir, 'pglite');
    await copyPgliteTemplate(pgliteDir);
    const bot = BotProcess.npmStart({ PGLITE_DIR: pgliteDir, PORT: '0' }, ['--console']);
    // `night` then `quit`, as a script: quit waits for the night (typed at a terminal it would
    // interrupt it), and the morning report is out before the bot stops.
    // A slash command's answer comes after its ack: the script waits for it before `quit`.
    bot.child.stdin.end('/sched-status\nnight\n/sched-snooze acme-analytics until 06:00\nquit\n');
    try {
      expect(await bot.exited, bot.output).toBe(0);
      expect(bot.output).toMatch(/sched-bot, local console/);
      // /sched-status answered (the bot's ephemeral reply) before quit stopped the bot.
      expect(bot.output).toMatch(/── sched-bot \(only visible to you\)/);
      expect(bot.output).toMatch(
        /sched-bot posted in #\w+ \(report channel\)[\s\S]*(Healthy|Needs attention)/,
      );
    } finally {
      bot.kill();
    }
  });
});
