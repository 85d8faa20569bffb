import { PassThrough, Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { nightOutlook } from '../../src/console/banner.ts';
import type { Operation } from '../../src/console/operations.ts';
import { createRepl, PROMPT } from '../../src/console/repl.ts';
import type { ConsoleSession } from '../../src/console/session.ts';

/** A terminal as readline sees one: everything written to it, in order. */
class Terminal extends Writable {
  isTTY = true;
  columns = 120;
  rows = 40;
  text = '';
  override _write(chunk: Buffer, _encoding: BufferEncoding, callback: () => void) {
    this.text += chunk.toString();
    callback();
  }
}

/** The terminal escape character, written out so no regular expression holds a control character. */
const ESC = String.fromCharCode(27);

const settle = () => new Promise((resolve) => setTimeout(resolve, 20));

async function until(check: () => boolean) {
  for (let i = 0; i < 200 && !check(); i++) await settle();
  expect(check()).toBe(true);
}

function consoleOn(operations: Record<string, Operation>) {
  const input = new PassThrough();
  const output = new Terminal();
  const repl = createRepl({
    input,
    output,
    operations,
    slashCommands: ['/sched-status'],
    logFile: '/nonexistent/sched-bot.log',
    onQuit: () => undefined,
    interrupt: () => undefined,
  });
  // The session is only used by slash commands and clicks, which these tests do not type.
  repl.start({} as ConsoleSession);
  return { input, output, repl };
}

describe('the console prompt', () => {
  it('stays away while a command prints its progress, and comes back when it is done', async () => {
    let finish: () => void = () => undefined;
    const { input, output, repl } = consoleOn({
      slow: {
        usage: 'slow',
        summary: 'prints progress for a while',
        async run(_args, print) {
          print('progress 1');
          await new Promise<void>((resolve) => {
            finish = resolve;
          });
          print('progress 2');
        },
      },
    });
    const start = output.text.length;
    input.write('slow\r');
    await until(() => output.text.includes('progress 1'));
    // A post from the bot while the command runs (the local Slack stand-in prints through here).
    repl.print('a post meanwhile');
    await settle();
    finish();
    await until(() => output.text.includes('progress 2'));
    await settle();
    const during = output.text.slice(output.text.indexOf('progress 1'), output.text.indexOf('progress 2'));
    expect(during).not.toContain(PROMPT);
    expect(output.text.slice(output.text.indexOf('progress 2'))).toContain(PROMPT);
    expect(output.text.slice(start)).toContain('a post meanwhile');
    repl.close();
  });

  it('prints a post above the line being typed and gives the typed text back', async () => {
    const { input, output, repl } = consoleOn({});
    await settle();
    input.write('/sched-st');
    await until(() => output.text.includes('/sched-st'));
    const mark = output.text.length;
    repl.print('── #sched-reports ── the morning report');
    const after = output.text.slice(mark);
    // The half-typed line is cleared, the post printed, then the prompt and the typed text again.
    expect(after.startsWith(`${ESC}[2K${ESC}[1G── #sched-reports ── the morning report\n`)).toBe(true);
    // (readline ends the redraw by putting the cursor back after the typed text)
    expect(after.replace(new RegExp(`${ESC}\\[\\d+G$`), '').endsWith(`${PROMPT}/sched-st`)).toBe(true);
    repl.close();
  });

  it('clears the screen on `clear`', async () => {
    const { input, output, repl } = consoleOn({});
    await settle();
    const mark = output.text.length;
    input.write('clear\r');
    await until(() => output.text.slice(mark).includes(PROMPT));
    expect(output.text.slice(mark)).toContain(`${ESC}[1;1H${ESC}[0J`);
    expect(output.text.slice(mark)).not.toContain('unknown command');
    repl.close();
  });
});

describe('the banner says what the night will do now', () => {
  const zone = 'America/New_York';
  const base = { zone, triggerCron: '0 3 * * *' };
  it('before the trigger time: when it starts', () => {
    // 00:00 EDT on 2026-03-10: three hours before the trigger.
    expect(nightOutlook({ ...base, now: new Date('2026-03-10T04:00:00Z'), trigger: undefined })).toBe(
      "tonight's run (2026-03-10) starts at 03:00 EDT (in 3 h); `night` runs it now instead",
    );
    expect(nightOutlook({ ...base, now: new Date('2026-03-10T06:35:00Z'), trigger: undefined })).toBe(
      "tonight's run (2026-03-10) starts at 03:00 EDT (in 25 min); `night` runs it now instead",
    );
  });
  it('after the trigger time with no trigger today: it starts now, as a catch-up', () => {
    expect(nightOutlook({ ...base, now: new Date('2026-03-10T20:31:00Z'), trigger: undefined })).toBe(
      "tonight's run (2026-03-10) starts now (catch-up: it is past 03:00 EDT and it has not run yet)",
    );
  });
  it('already triggered: when and by whom', () => {
    expect(
      nightOutlook({
        ...base,
        now: new Date('2026-03-10T20:31:00Z'),
        trigger: {
          startedAt: new Date('2026-03-10T20:30:00Z'),
          triggeredBy: 'scheduler',
          status: 'completed',
        },
      }),
    ).toBe(
      "tonight's run (2026-03-10) was started at 16:30 EDT by scheduler (completed); `night` waits for it and shows the report",
    );
  });
});
