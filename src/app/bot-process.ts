import { EXIT } from '../exit-codes.ts';
import { type BotIo, type RunningBot, startSchedBot } from './bot.ts';
import { stopWhenOrphaned } from './parent-watch.ts';
import { logUnhandledRejections } from './unhandled-rejections.ts';

/**
 * Process wiring for `npm start` and `sched serve`: signals in, exit code out. The handlers are
 * installed before anything starts, so a SIGTERM during start-up still stops cleanly; a second
 * signal while stopping ends the process at once.
 */
export async function runSchedBot(io: BotIo): Promise<number> {
  let bot: RunningBot | undefined;
  let received: NodeJS.Signals | undefined;
  const onSignal = (signal: NodeJS.Signals) => {
    if (received) process.exit(EXIT.interrupted);
    received = signal;
    if (bot) void bot.shutdown(signal);
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  const unwatch = stopWhenOrphaned(io.env, () => onSignal('SIGTERM'));
  // One request or loop that forgets to catch must not end the bot, scheduler and workers.
  const rejections = logUnhandledRejections(() => bot?.logger);
  try {
    bot = await startSchedBot(io);
    if (received) void bot.shutdown(received);
    await bot.closed;
    return EXIT.ok;
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    unwatch();
    rejections.uninstall();
  }
}
