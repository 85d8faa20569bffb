import type { CliCommand } from '../command.ts';
import { migrateCommand } from './migrate.ts';
import { postcheckCommand } from './postcheck.ts';
import { seedCommand } from './seed.ts';
import { statusCommand } from './status.ts';

/** The one place where `sched` subcommand names meet their handlers. */
export const commands: CliCommand[] = [migrateCommand, seedCommand, postcheckCommand, statusCommand];
