import { runSchedBot } from './app/bot-process.ts';
import { describeFailure, formatFailure } from './app/failure.ts';

/**
 * `npm start` (bin/start.js): the bot in this process, composed in src/bot.ts. The local console
 * needs someone at a terminal; `--console` asks for it anyway (piped scripts).
 */
export async function main(): Promise<never> {
  try {
    const code = await runSchedBot({
      env: process.env,
      stdin: process.stdin,
      stdout: process.stdout,
      console: process.stdin.isTTY === true || process.argv.includes('--console'),
    });
    process.exit(code);
  } catch (error) {
    const failure = describeFailure(error, process.env);
    process.stderr.write(formatFailure('sched-bot', failure));
    process.exit(failure.code);
  }
}
