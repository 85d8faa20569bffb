/**
 * A worker process for the queue and idle scenarios, driven by the bench over IPC: it opens both
 * queues first (sched-bot's runtime as `sched worker` opens it, and a pg pool for
 * graphile-worker, both at their default pool size of 10), then starts and stops one side's
 * workers on command. The bench clocks a night from `start`, so process start-up, imports and
 * connections are outside every figure, for both sides alike.
 *
 * sched-bot's workers call simulated providers with no latency and no limit, graphile-worker's
 * run a task that does nothing: both figures are the queue's own overhead.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { Logger, type Runner, run } from 'graphile-worker';
import pg from 'pg';
import { openRuntime, type Runtime } from '../src/app/runtime.ts';
import { createSimulatedAdapter } from '../src/providers/simulated.ts';
import { PROVIDER_NAMES } from '../src/providers/types.ts';
import { startWorker, type WorkerHandle } from '../src/scheduler/worker.ts';
import { cleanEnv, ROOT } from './processes.ts';

export type Side = 'product' | 'graphile';

type Command =
  | { type: 'open'; url: string; env: Record<string, string> }
  | { type: 'start'; side: Side; concurrency: number }
  | { type: 'stop' }
  | { type: 'close' };

type Reply = { type: 'ready' } | { type: 'done' } | { type: 'error'; message: string };

/** The bench's handle on one child. */
export class QueueChild {
  private constructor(private readonly child: ChildProcess) {}

  /** Resolves once the child listens for commands (its imports take seconds under tsx). */
  static async spawn(): Promise<QueueChild> {
    const child = spawn(process.execPath, ['--import', 'tsx', 'bench/queue-child.ts'], {
      cwd: ROOT,
      env: cleanEnv({}),
      stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
    });
    // Whatever it prints is for the person watching, never for --json's stdout.
    child.stdout?.pipe(process.stderr);
    child.stderr?.pipe(process.stderr);
    await new Promise<void>((resolve, reject) => {
      child.once('message', () => resolve());
      child.once('exit', (code) => reject(new Error(`queue child exited (${code}) before it was ready`)));
    });
    return new QueueChild(child);
  }

  request(command: Command): Promise<void> {
    return new Promise((resolve, reject) => {
      const onMessage = (reply: Reply) => {
        cleanup();
        if (reply.type === 'done') resolve();
        else if (reply.type === 'error') reject(new Error(`queue child, ${command.type}: ${reply.message}`));
      };
      const onExit = (code: number | null) => {
        cleanup();
        reject(new Error(`queue child exited (${code}) during ${command.type}`));
      };
      const cleanup = () => {
        this.child.off('message', onMessage);
        this.child.off('exit', onExit);
      };
      this.child.on('message', onMessage);
      this.child.once('exit', onExit);
      this.child.send(command);
    });
  }

  async exit(): Promise<void> {
    if (this.child.exitCode !== null) return;
    const exited = new Promise((resolve) => this.child.once('exit', resolve));
    await this.request({ type: 'close' }).catch(() => undefined);
    this.child.disconnect();
    await exited;
  }
}

/** Zero-latency, unlimited stand-ins: every call answers at once. */
export function instantAdapters() {
  return new Map(
    PROVIDER_NAMES.map((name) => [
      name,
      createSimulatedAdapter(name, 'ideal', { latencyMs: { min: 0, max: 0 }, rpm: 1_000_000_000 }),
    ]),
  );
}

const silent = new Logger(() => () => {});

function serve(): void {
  let runtime: Runtime | undefined;
  let pool: pg.Pool | undefined;
  let running: { stop(): Promise<void> } | undefined;

  async function handle(command: Command): Promise<void> {
    switch (command.type) {
      case 'open': {
        runtime = await openRuntime({ ...command.env, DATABASE_URL: command.url });
        pool = new pg.Pool({ connectionString: command.url, max: 10 });
        // An idle client losing its connection must not end the process (graphile-worker asks for it).
        pool.on('error', () => undefined);
        pool.on('connect', (client) => client.on('error', () => undefined));
        await pool.query('select 1');
        return;
      }
      case 'start': {
        if (!runtime || !pool) throw new Error('start before open');
        if (command.side === 'product') {
          const worker: WorkerHandle = startWorker(runtime, {
            adapters: instantAdapters(),
            concurrency: command.concurrency,
          });
          running = worker;
        } else {
          const runner: Runner = await run({
            pgPool: pool,
            concurrency: command.concurrency,
            noHandleSignals: true,
            logger: silent,
            taskList: { noop: async () => {} },
          });
          running = { stop: () => runner.stop() };
        }
        return;
      }
      case 'stop': {
        await running?.stop();
        running = undefined;
        return;
      }
      case 'close': {
        await running?.stop();
        await runtime?.database.close();
        await pool?.end();
        runtime = undefined;
        pool = undefined;
        return;
      }
    }
  }

  process.on('message', (command: Command) => {
    handle(command).then(
      () => process.send?.({ type: 'done' } satisfies Reply),
      (error: unknown) =>
        process.send?.({
          type: 'error',
          message: error instanceof Error ? String(error.cause ?? error.message) : String(error),
        } satisfies Reply),
    );
  });
  // The bench went away: nothing left to do.
  process.on('disconnect', () => process.exit(0));
  process.send?.({ type: 'ready' });
}

if (process.send && /queue-child\.ts$/.test(process.argv[1] ?? '')) serve();
