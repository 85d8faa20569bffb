import { type ChildProcess, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { fileURLToPath } from 'node:url';

/**
 * Child processes the bench starts: the installed `sched` command (whatever package.json's `bin`
 * points at, so a build step or a new entry point is measured as users run it), psql, and the
 * bench's queue child. Each gets a clean environment: only what the scenario says.
 */

export const ROOT = fileURLToPath(new URL('..', import.meta.url));

const pkg = JSON.parse(readFileSync(`${ROOT}package.json`, 'utf8')) as { bin: { sched: string } };
export const SCHED_BIN = `${ROOT}${pkg.bin.sched}`;

export function cleanEnv(env: Record<string, string>): Record<string, string> {
  return { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', ...env };
}

export interface Exited {
  code: number | null;
  ms: number;
  output: string;
}

/** Runs a command to its end: exit code, wall time from spawn to exit, stdout and stderr. */
export function runToExit(command: string, args: string[], env: Record<string, string>): Promise<Exited> {
  const start = performance.now();
  const child = spawn(command, args, { cwd: ROOT, env: cleanEnv(env), stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => {
    output += chunk.toString('utf8');
  });
  child.stderr?.on('data', (chunk: Buffer) => {
    output += chunk.toString('utf8');
  });
  return new Promise((resolve, reject) => {
    child.once('error', reject);
    child.once('exit', (code) => resolve({ code, ms: performance.now() - start, output }));
  });
}

/** Like runToExit, but a non-zero exit is an error carrying the output. */
export async function runOk(command: string, args: string[], env: Record<string, string>): Promise<Exited> {
  const exited = await runToExit(command, args, env);
  if (exited.code !== 0)
    throw new Error(`${command} ${args.join(' ')} exited ${exited.code}: ${exited.output.slice(-500)}`);
  return exited;
}

/** `sched <args>` as the installed command runs it. */
export const runSched = (args: string[], env: Record<string, string>) =>
  runOk(process.execPath, [SCHED_BIN, ...args], env);

/** A long-running `sched` process (worker, serve); its output goes to the bench's stderr on failure. */
export function startSched(args: string[], env: Record<string, string>): LongRunning {
  return new LongRunning(process.execPath, [SCHED_BIN, ...args], env);
}

export class LongRunning {
  readonly child: ChildProcess;
  output = '';
  readonly exited: Promise<number | null>;

  constructor(command: string, args: string[], env: Record<string, string>) {
    this.child = spawn(command, args, { cwd: ROOT, env: cleanEnv(env), stdio: ['ignore', 'pipe', 'pipe'] });
    const keep = (chunk: Buffer) => {
      // The last few kilobytes are enough to say why a process died.
      this.output = (this.output + chunk.toString('utf8')).slice(-8_000);
    };
    this.child.stdout?.on('data', keep);
    this.child.stderr?.on('data', keep);
    this.exited = new Promise((resolve) => this.child.once('exit', (code) => resolve(code)));
  }

  get running(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null;
  }

  /** SIGTERM, then SIGKILL if it has not exited within `graceMs`. */
  async stop(graceMs = 30_000): Promise<void> {
    if (!this.running) return;
    this.child.kill('SIGTERM');
    const timer = setTimeout(() => this.child.kill('SIGKILL'), graceMs);
    await this.exited;
    clearTimeout(timer);
  }
}

/** A TCP port on loopback that nothing listens on right now. */
export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}
