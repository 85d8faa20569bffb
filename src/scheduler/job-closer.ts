import { setImmediate } from 'node:timers/promises';
import { toError } from '../errors.ts';
import type { Logger } from '../logger.ts';
import { sleep } from '../time/waits.ts';

/**
 * Closes the jobs of a worker's finished tasks in the background, one statement for all the jobs
 * whose tasks finished since the last one: a task's slot is free as soon as its completion has
 * committed, without waiting for its job's close. The close runs after that commit, so two
 * workers finishing a job's last two tasks at once each see the other's commit or not, and at
 * least the later one sees both and closes it. A close that fails keeps its jobs for the next;
 * the reconciler closes whatever a worker that died left open.
 */
export interface JobCloser {
  /** A task of this job finished (its completion committed). */
  add(jobId: string): void;
  /** Resolves once every job added so far was closed, or given up on after a few tries. */
  settled(): Promise<void>;
}

const FINAL_TRIES = 5;

export function startJobCloser(
  close: (jobIds: string[]) => Promise<unknown>,
  options: { logger: Logger; retryMs: number },
): JobCloser {
  const pending = new Set<string>();
  let running: Promise<void> | undefined;

  /** One statement at a time; jobs added meanwhile go into the next. */
  async function drain(): Promise<boolean> {
    while (pending.size > 0) {
      const jobIds = [...pending];
      pending.clear();
      try {
        await close(jobIds);
      } catch (error) {
        for (const id of jobIds) pending.add(id);
        options.logger.error({ err: toError(error), jobs: jobIds.length }, 'closing finished jobs failed');
        return false;
      }
    }
    return true;
  }

  function kick(): Promise<void> {
    running ??= (async () => {
      // Lets every completion of this turn of the event loop join the same statement.
      await setImmediate();
      await drain();
    })().finally(() => {
      running = undefined;
    });
    return running;
  }

  return {
    add(jobId) {
      pending.add(jobId);
      void kick();
    },
    async settled() {
      for (let tries = 1; ; tries++) {
        while (running) await running;
        if (pending.size === 0 || (await drain())) return;
        if (tries >= FINAL_TRIES) return;
        await sleep(options.retryMs * 2 ** (tries - 1));
      }
    },
  };
}
