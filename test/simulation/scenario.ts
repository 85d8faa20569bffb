import type { Db } from '../../src/db/client.ts';
import { withInvariants } from './invariants.ts';
import { afterEach, newModel, type SimCommand } from './model.ts';
import { resetDatabase, startWorld } from './world.ts';

afterEach.run = withInvariants;

/**
 * Runs a fixed command list as the simulator runs a drawn one (a fresh world, the invariants after
 * every command): the shrunk case of a failure, kept as a named test.
 */
export async function runScenario(
  db: Db,
  start: Date,
  commands: SimCommand[],
  databaseUrl?: string,
): Promise<void> {
  await resetDatabase(db, 5);
  const world = await startWorld(db, start, databaseUrl);
  const model = newModel();
  try {
    for (const command of commands) await command.run(model, world);
  } finally {
    await world.stop();
  }
}
