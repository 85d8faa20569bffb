import { Writable } from 'node:stream';
import type { CliIo } from '../../src/cli/command.ts';
import { runCli } from '../../src/cli/main.ts';

class Capture extends Writable {
  text = '';
  override _write(chunk: Buffer, _encoding: BufferEncoding, callback: () => void) {
    this.text += chunk.toString();
    callback();
  }
}

/** Runs `sched <argv>` in-process with the given environment and captures its output. */
export async function sched(argv: string[], env: Record<string, string | undefined>) {
  const stdout = new Capture();
  const stderr = new Capture();
  const io: CliIo = { env: { LOG_LEVEL: 'silent', ...env }, stdout, stderr };
  const code = await runCli(argv, io);
  return { code, stdout: stdout.text, stderr: stderr.text };
}
