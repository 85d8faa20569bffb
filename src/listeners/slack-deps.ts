import type { Deps } from '../context.ts';
import type { RepairRunner } from '../report/repair-runner.ts';
import type { AccessChecker } from '../slack/access.ts';

/**
 * What every Slack handler is built from: the app's Deps plus the two stateful helpers that
 * live as long as the app (the admin-group cache and the repairs being watched).
 */
export interface SlackDeps extends Deps {
  access: AccessChecker;
  repairs: RepairRunner;
}
