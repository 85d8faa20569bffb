import type { CliCommand } from '../command.ts';
import { auditCommand } from './audit.ts';
import { historyCommand } from './history.ts';
import { manualRunCommand } from './manual-run.ts';
import { migrateCommand } from './migrate.ts';
import { postcheckCommand } from './postcheck.ts';
import { providersCommand } from './providers.ts';
import { reconcileCommand } from './reconcile.ts';
import { rerunCommand } from './rerun.ts';
import { seedCommand } from './seed.ts';
import { serveCommand } from './serve.ts';
import { statusCommand } from './status.ts';
import { triggerCommand } from './trigger.ts';
import { workerCommand } from './worker.ts';

/** The one place where `sched` subcommand names meet their handlers. */
export const commands: CliCommand[] = [
  serveCommand,
  migrateCommand,
  seedCommand,
  postcheckCommand,
  statusCommand,
  auditCommand,
  historyCommand,
  providersCommand,
  workerCommand,
  triggerCommand,
  reconcileCommand,
  rerunCommand,
  manualRunCommand,
];
