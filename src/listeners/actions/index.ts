import type { App } from '@slack/bolt';
import {
  ACTION_IDS,
  OPEN_NIGHT_ACTION,
  RERUN_PICK_ACTION,
  RETRY_PROVIDER_ACTION,
  SNOOZE_ACTION,
} from '../../blocks/ids.ts';
import type { SlackDeps } from '../slack-deps.ts';
import { ackNightAction } from './ack-night.ts';
import { historyPagingAction } from './history-paging.ts';
import { openHistoryAction } from './open-history.ts';
import { openNightAction } from './open-night.ts';
import { repairAction } from './repair.ts';
import { repairOptionsAction } from './repair-options.ts';
import { rerunModalOrgAction } from './rerun-modal-org.ts';
import { rerunOrgSelectAction } from './rerun-org-select.ts';
import { rerunPickAction } from './rerun-pick.ts';
import { retryProviderAction } from './retry-provider.ts';
import { shareStatusAction } from './share-status.ts';
import { showAllLiveAction } from './show-all-live.ts';
import { showAllMissingAction } from './show-all-missing.ts';
import { snoozeLineAction } from './snooze-line.ts';

/**
 * Buttons and selects (block_actions), one file each, named `<file>Action`. Returns every id and
 * pattern registered: the catch-all in ../index.ts takes the rest.
 */
export function registerActions(app: App, deps: SlackDeps): (string | RegExp)[] {
  const actions: (string | RegExp)[] = [];
  const action = <T extends string | RegExp>(id: T): T => {
    actions.push(id);
    return id;
  };
  app.action(action(ACTION_IDS.repair), repairAction(deps));
  app.action(action(ACTION_IDS.repairOptions), repairOptionsAction(deps));
  app.action(action(RETRY_PROVIDER_ACTION), retryProviderAction(deps));
  app.action(action(ACTION_IDS.shareStatus), shareStatusAction(deps));
  app.action(action(ACTION_IDS.ackNight), ackNightAction(deps));
  app.action(action(ACTION_IDS.rerunOrgSelect), rerunOrgSelectAction(deps));
  app.action(action(ACTION_IDS.openHistory), openHistoryAction(deps));
  app.action(action(ACTION_IDS.historyOlder), historyPagingAction(deps));
  app.action(action(ACTION_IDS.historyNewer), historyPagingAction(deps));
  app.action(action(OPEN_NIGHT_ACTION), openNightAction(deps));
  app.action(action(RERUN_PICK_ACTION), rerunPickAction(deps));
  app.action(action(SNOOZE_ACTION), snoozeLineAction(deps));
  app.action(action(ACTION_IDS.showAllMissing), showAllMissingAction(deps));
  app.action(action(ACTION_IDS.missingPagePrev), showAllMissingAction(deps));
  app.action(action(ACTION_IDS.missingPageNext), showAllMissingAction(deps));
  app.action(action(ACTION_IDS.showAllLive), showAllLiveAction(deps));
  app.action(action(ACTION_IDS.livePagePrev), showAllLiveAction(deps));
  app.action(action(ACTION_IDS.livePageNext), showAllLiveAction(deps));
  app.action(action(ACTION_IDS.rerunModalOrg), rerunModalOrgAction(deps));
  return actions;
}
