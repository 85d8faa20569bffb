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
 * the reconciler closes whatever a worker that died left open. Whoever follows the night is told
 * a task finished only after a close of its job has run: told earlier, it could measure a night
 * with nothing live and count an org whose job is not closed yet as missing.
 */
export interface JobCloser {
  /** A task of this job finished (its completion committed); `closed` runs once a close of the job has. */
  add(jobId: string, closed?: () => void): void;
  /** Resolves once every job added so far was closed, or given up on after a few tries. */
  settled(): Promise<void>;
}

const FINAL_TRIES = 5;

export function startJobCloser(
  close: (jobIds: string[]) => Promise<unknown>,
  options: { logger: Logger; retryMs: number },
): JobCloser {
  /** Jobs to close, each with what waits for its close. */
  const pending = new Map<string, (() => void)[]>();
  let running: Promise<void> | undefined;

  function tell(closed: () => void): void {
    try {
      closed();
    } catch (error) {
      options.logger.error({ err: toError(error) }, 'telling of a finished task failed');
    }
  }

  /** One statement at a time; jobs added meanwhile go into the next. */
  async function drain(): Promise<boolean> {
    while (pending.size > 0) {
      const batch = [...pending];
      pending.clear();
      try {
        await close(batch.map(([id]) => id));
      } catch (error) {
        for (const [id, waiting] of batch) pending.set(id, [...waiting, ...(pending.get(id) ?? [])]);
        options.logger.error({ err: toError(error), jobs: batch.length }, 'closing finished jobs failed');
        return false;
      }
      for (const [, waiting] of batch) for (const closed of waiting) tell(closed);
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
    add(jobId, closed) {
      const waiting = pending.get(jobId) ?? [];
      if (closed) waiting.push(closed);
      pending.set(jobId, waiting);
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
