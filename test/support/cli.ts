import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import type { CliIo } from '../../src/cli/command.ts';
import { runCli } from '../../src/cli/main.ts';
import type { Backend } from './db.ts';
import { copyPgliteTemplate } from './template.ts';

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

/**
 * An environment for `sched` on a backend of its own: a fresh PostgreSQL database, or a PGlite
 * directory on disk (the CLI opens and closes it on every call, as a user's commands would).
 * Both start migrated, copied from the template (test/support/template.ts).
 */
export async function cliEnvironment(
  backend: Backend,
  extra: Record<string, string> = {},
): Promise<{ env: Record<string, string | undefined>; close(): Promise<void> }> {
  if (backend.name === 'postgres') {
    const database = await backend.create();
    return { env: { DATABASE_URL: database.url, ...extra }, close: () => database.close() };
  }
  const dir = mkdtempSync(join(tmpdir(), 'sched-cli-'));
  await copyPgliteTemplate(dir);
  return {
    env: { PGLITE_DIR: dir, ...extra },
    close: async () => rmSync(dir, { recursive: true, force: true }),
  };
}
