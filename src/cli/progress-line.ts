import cliProgress from 'cli-progress';
import { formatDuration } from '../blocks/format.ts';

/**
 * Progress of a long CLI operation (seeding at scale, `sched worker --drain` on a big night):
 * a live bar with rate and ETA on a terminal, plain lines otherwise (logs, CI, pipes), one at
 * every tenth of the way so a redirected log stays short.
 */

export interface ProgressLine {
  /** `total` may change while it runs (a drain sees new tasks arrive). */
  update(done: number, total: number): void;
  /** Prints the final state; safe to call twice. */
  stop(): void;
}

export interface ProgressOptions {
  label: string;
  /** What is counted: "prompts", "tasks". */
  unit: string;
  stream: NodeJS.WritableStream & { isTTY?: boolean };
  /** Milliseconds, for the rate; a display concern, so the monotonic clock by default. */
  now?: () => number;
}

/** Pure: the plain line for a progress state. */
export function progressLine(
  label: string,
  unit: string,
  done: number,
  total: number,
  elapsedMs: number,
): string {
  const percent = total > 0 ? Math.floor((done / total) * 100) : 100;
  const rate = elapsedMs > 0 ? done / (elapsedMs / 1000) : 0;
  const eta = rate > 0 ? formatDuration(((total - done) / rate) * 1000) : '?';
  return `${label}: ${done}/${total} ${unit} (${percent}%), ${rate.toFixed(1)}/s, ETA ${done >= total ? '0s' : eta}`;
}

export function createProgress(options: ProgressOptions): ProgressLine {
  const now = options.now ?? (() => performance.now());
  const started = now();
  if (options.stream.isTTY) return barProgress(options, started, now);

  let lastDecile = -1;
  let last = { done: 0, total: 0 };
  let stopped = false;
  const print = () =>
    options.stream.write(
      `${progressLine(options.label, options.unit, last.done, last.total, now() - started)}\n`,
    );
  return {
    update(done, total) {
      last = { done, total };
      const decile = total > 0 ? Math.floor((done / total) * 10) : 10;
      if (decile > lastDecile && done < total) {
        lastDecile = decile;
        print();
      }
    },
    stop() {
      if (stopped) return;
      stopped = true;
      // Nothing was ever to do (an empty drain): nothing to report either.
      if (last.total > 0) print();
    },
  };
}

function barProgress(options: ProgressOptions, started: number, now: () => number): ProgressLine {
  const bar = new cliProgress.SingleBar(
    {
      stream: options.stream,
      format: `${options.label} [{bar}] {percentage}% | {value}/{total} ${options.unit} | {rate}/s | ETA {eta_formatted}`,
      hideCursor: true,
      etaBuffer: 50,
    },
    cliProgress.Presets.shades_classic,
  );
  let running = false;
  let stopped = false;
  const rate = (done: number) => (done / Math.max((now() - started) / 1000, 0.001)).toFixed(1);
  return {
    update(done, total) {
      if (stopped) return;
      if (!running) {
        bar.start(total, done, { rate: rate(done) });
        running = true;
        return;
      }
      bar.setTotal(total);
      bar.update(done, { rate: rate(done) });
    },
    stop() {
      if (stopped) return;
      stopped = true;
      if (running) bar.stop();
    },
  };
}

/**
 * Progress of a drain (`sched worker --drain`): polls how many tasks are still live. The total is
 * the most ever seen live, so tasks that arrive meanwhile grow it instead of confusing the rate.
 * The first count is taken before this resolves (start the workers after it, so none finishes
 * uncounted), and stop() counts once more, so the last line shows the end state; await it
 * before printing anything that should come after the progress.
 */
export async function watchDrain(options: {
  countLive: () => Promise<number>;
  stream: ProgressOptions['stream'];
  pollMs?: number;
}): Promise<{ stop(): Promise<void> }> {
  const progress = createProgress({ label: 'draining', unit: 'tasks', stream: options.stream });
  let peak = 0;
  let closing = false;
  const show = (live: number) => {
    peak = Math.max(peak, live);
    progress.update(peak - live, peak);
  };
  const poll = async () => {
    const live = await options.countLive().catch(() => undefined);
    // A poll that was on its way when stop() began must not overwrite the final count.
    if (closing || live === undefined) return;
    show(live);
  };
  await poll();
  const timer = setInterval(() => void poll(), options.pollMs ?? 1_000);
  let stopped: Promise<void> | undefined;
  return {
    stop() {
      stopped ??= (async () => {
        closing = true;
        clearInterval(timer);
        const live = await options.countLive().catch(() => undefined);
        if (live !== undefined) show(live);
        progress.stop();
      })();
      return stopped;
    },
  };
}
