import { toError } from '../errors.ts';
import type { Logger } from '../logger.ts';

/**
 * The last net under `sched serve`: a promise that rejects with nobody listening is logged
 * (with its stack and whatever context the error carries) and the process keeps serving. Node's
 * default would end the bot, the scheduler and every worker in it for one bad request. Every
 * listener and background loop catches its own errors; reaching this handler is a bug to fix,
 * which is why it is logged at error level with a count.
 */

export interface RejectionGuard {
  /** How many rejections reached the handler since it was installed. */
  count(): number;
  uninstall(): void;
}

export function logUnhandledRejections(
  logger: () => Pick<Logger, 'error'> | undefined,
  fallback: NodeJS.WritableStream = process.stderr,
): RejectionGuard {
  let count = 0;
  const onRejection = (reason: unknown) => {
    count += 1;
    const err = toError(reason);
    const log = logger();
    if (log) {
      log.error({ err, unhandledRejections: count }, 'unhandled promise rejection; still serving');
    } else {
      fallback.write(`sched-bot: unhandled promise rejection (still serving): ${err.stack ?? err.message}\n`);
    }
  };
  process.on('unhandledRejection', onRejection);
  return {
    count: () => count,
    uninstall: () => {
      process.off('unhandledRejection', onRejection);
    },
  };
}
