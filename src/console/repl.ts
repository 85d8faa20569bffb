import { readFile } from 'node:fs/promises';
import { clearLine, clearScreenDown, createInterface, cursorTo } from 'node:readline';
import { toError } from '../errors.ts';
import { helpText } from './banner.ts';
import type { Operation } from './operations.ts';
import type { ConsoleSession } from './session.ts';

/**
 * The console's read-eval-print loop (node:readline), like Hubot's shell adapter. Lines run one
 * at a time, and the prompt comes back only when a line's command is done. What the bot posts
 * while the user is at the prompt is printed above it: the line being typed is cleared, the post
 * written, and readline redraws the prompt with the typed text and cursor (prompt(true)).
 */

export const PROMPT = 'sched> ';

export interface ReplOptions {
  input: NodeJS.ReadableStream;
  output: NodeJS.WritableStream & { isTTY?: boolean };
  operations: Record<string, Operation>;
  slashCommands: readonly string[];
  logFile: string;
  /** Called once, on `quit`, Ctrl-C or the end of the input. */
  onQuit: () => void;
  /** Asks a long operation in progress (`night`) to stop waiting. */
  interrupt: () => void;
}

export interface Repl {
  print(text: string): void;
  ask(question: string): Promise<string>;
  /** Starts reading lines for this session (after the banner). */
  start(session: ConsoleSession): void;
  close(): void;
}

export function createRepl(options: ReplOptions): Repl {
  const { output } = options;
  const tty = Boolean(output.isTTY);
  const rl = createInterface({ input: options.input, output, prompt: PROMPT, terminal: tty });
  /** readline is closed (end of input, or close()): no more prompts or questions. */
  let closed = false;
  /** close() was called: the console is gone, nothing more is printed. */
  let silenced = false;
  let quitting = false;
  /** A line's command is running: its output (and any post) just follows, with no prompt in between. */
  let busy = false;
  const quit = () => {
    if (quitting) return;
    quitting = true;
    options.onQuit();
  };

  const print = (text: string) => {
    if (silenced) return;
    const atPrompt = tty && !closed && !busy;
    if (atPrompt) {
      clearLine(output, 0);
      cursorTo(output, 0);
    }
    output.write(`${text}\n`);
    if (atPrompt) rl.prompt(true);
  };

  // Listening from the start: readline reads piped input as soon as it exists, and a line (or
  // the end of input) emitted before the banner would otherwise be lost. Such lines wait here.
  let started: ConsoleSession | undefined;
  const early: string[] = [];
  let chain = Promise.resolve();
  const run = (session: ConsoleSession, line: string) => {
    // Typed at a terminal, quit does not wait for a running `night` to finish (lines typed
    // before it still run). Piped input is a script: `night` then `quit` means after the night.
    if (tty && /^\s*(quit|exit)\s*$/.test(line)) options.interrupt();
    busy = true;
    chain = chain.then(async () => {
      if (quitting) return;
      busy = true;
      try {
        await handle(session, line);
      } catch (error) {
        print(`! ${toError(error).message}`);
      }
      busy = false;
      if (!quitting && !closed) rl.prompt();
    });
  };
  rl.on('line', (line) => {
    if (started) run(started, line);
    else early.push(line);
  });
  // Ctrl-C at the prompt stops at once; the end of piped input stops after the pending lines.
  rl.on('SIGINT', () => {
    options.interrupt();
    quit();
  });
  rl.on('close', () => {
    closed = true;
    if (started) void chain.then(quit);
  });

  async function tail(n: number) {
    const text = await readFile(options.logFile, 'utf8').catch(() => '');
    print(text.trimEnd().split('\n').slice(-n).join('\n') || '(the log is empty)');
  }

  async function handle(session: ConsoleSession, line: string): Promise<void> {
    const [word = '', ...args] = line.trim().split(/\s+/);
    const rest = line.trim().slice(word.length).trim();
    const number = () => {
      const n = Number(args[0]);
      if (!Number.isInteger(n) || n < 1)
        throw new Error(`"${word}" needs the number shown in brackets, as in "${word} 2"`);
      return n;
    };
    if (word === '') return;
    if (word.startsWith('/')) {
      if (!options.slashCommands.includes(word))
        throw new Error(`unknown command ${word}; the bot knows ${options.slashCommands.join(', ')}`);
      return session.command(word, rest);
    }
    const operation = options.operations[word];
    if (operation) return operation.run(args, print);
    switch (word) {
      case 'click':
        return session.click(number());
      case 'pick':
        return session.pick(number(), rest.slice(String(args[0]).length).trim());
      case 'set':
        return session.set(number(), rest.slice(String(args[0]).length).trim());
      case 'submit':
        return session.submit();
      case 'close':
        return session.close();
      case 'home':
        return session.home();
      case 'logs':
        return tail(Number(args[0]) || 20);
      case 'clear':
        cursorTo(output, 0, 0);
        clearScreenDown(output);
        return;
      case 'help':
        return print(helpText(options.operations, options.slashCommands));
      case 'quit':
      case 'exit':
        return quit();
      default:
        throw new Error(`unknown command "${word}"; type help`);
    }
  }

  return {
    print,
    ask: (question) =>
      new Promise((resolve) => {
        if (closed) resolve('');
        else rl.question(question, resolve);
      }),
    start(session) {
      started = session;
      for (const line of early.splice(0)) run(session, line);
      if (closed) void chain.then(quit);
      rl.prompt();
    },
    close() {
      silenced = true;
      closed = true;
      rl.close();
    },
  };
}
