import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import type { CliIo } from '../../src/cli/command.ts';
import { runCli } from '../../src/cli/main.ts';
import { loadConfig } from '../../src/config.ts';
import { type Db, openDatabase } from '../../src/db/client.ts';
import { silentLogger } from '../../src/logger.ts';
import { runTrigger } from '../../src/scheduler/trigger.ts';
import type { Backend } from './db.ts';
import { seedSmallDemo } from './scheduler-deps.ts';
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

/** Opens the database of a `sched` environment, as the CLI does. */
export const openCliDatabase = (env: Record<string, string | undefined>) =>
  openDatabase({ url: env.DATABASE_URL, pgliteDir: env.PGLITE_DIR });

/**
 * A `sched` environment (simulated providers that always answer, user `dana`) with the small demo
 * seeded and `runDate`'s scheduled trigger run; `afterTrigger` sees the database before it is closed.
 */
export async function cliNightTriggered(
  backend: Backend,
  params: { runDate: string; afterTrigger?: (db: Db) => Promise<void> },
): Promise<{ env: Record<string, string | undefined>; close(): Promise<void> }> {
  const environment = await cliEnvironment(backend, { SIMULATED_PROFILE: 'ideal', USER: 'dana' });
  const database = await openCliDatabase(environment.env);
  try {
    await seedSmallDemo(database.db);
    const deps = {
      db: database.db,
      config: loadConfig({ SIMULATED_PROFILE: 'ideal' }),
      logger: silentLogger(),
      clock: () => new Date(),
    };
    await runTrigger(deps, { runDate: params.runDate, triggeredBy: 'scheduler', scheduled: true });
    await params.afterTrigger?.(database.db);
  } finally {
    await database.close();
  }
  return environment;
}
