import { type ChildProcessWithoutNullStreams, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));

/**
 * A real `npm start` (`node bin/start.js`) or `sched <command>` process, with stdin
 * a pipe (never a terminal) and an environment free of the developer's Slack, database and port
 * settings, so each test says exactly what it runs with.
 */
export class BotProcess {
  readonly child: ChildProcessWithoutNullStreams;
  output = '';
  readonly exited: Promise<number | null>;

  constructor(args: string[], env: Record<string, string>, command = process.execPath) {
    const base: Record<string, string> = {};
    for (const [key, value] of Object.entries(process.env)) {
      if (
        value !== undefined &&
        !/^(SLACK_|DATABASE_URL|PGLITE_DIR|SIMULATED_PROFILE|PORT$|CRON_SECRET|LOG_LEVEL|TEST_DATABASE_URL)/.test(
          key,
        )
      ) {
        base[key] = value;
      }
    }
    this.child = spawn(command, args, { cwd: ROOT, env: { ...base, ...env }, stdio: 'pipe' });
    this.child.stdout.on('data', (chunk: Buffer) => {
      this.output += chunk.toString('utf8');
    });
    this.child.stderr.on('data', (chunk: Buffer) => {
      this.output += chunk.toString('utf8');
    });
    this.exited = new Promise((resolve) => this.child.once('exit', (code) => resolve(code)));
  }

  static npmStart(env: Record<string, string>, extraArgs: string[] = []) {
    return new BotProcess(['bin/start.js', ...extraArgs], env);
  }

  /** `npm start` itself: npm, its shell and the bot, as a user starts it. */
  static npm(args: string[], env: Record<string, string>) {
    return new BotProcess(args, env, process.platform === 'win32' ? 'npm.cmd' : 'npm');
  }

  static sched(args: string[], env: Record<string, string>) {
    return new BotProcess(['bin/sched.js', ...args], env);
  }

  get running(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null;
  }

  /** Waits until the output matches; fails at once if the process exits first. */
  async waitFor(pattern: RegExp, timeoutMs = 90_000): Promise<RegExpExecArray> {
    const started = Date.now();
    for (;;) {
      const match = pattern.exec(this.output);
      if (match) return match;
      if (!this.running)
        throw new Error(`the process exited (${this.child.exitCode}) before ${pattern}:\n${this.output}`);
      if (Date.now() - started > timeoutMs) throw new Error(`no ${pattern} in:\n${this.output}`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }

  /** The HTTP port from the "sched-bot listening" log line (JSON logs) or the console banner. */
  async port(timeoutMs = 120_000): Promise<number> {
    const match = await this.waitFor(
      /"port":(\d+)[^\n]*sched-bot listening|HTTP\s+http:\/\/localhost:(\d+)/,
      timeoutMs,
    );
    return Number(match[1] ?? match[2]);
  }

  kill(signal: NodeJS.Signals = 'SIGKILL') {
    if (this.running) this.child.kill(signal);
  }
}
