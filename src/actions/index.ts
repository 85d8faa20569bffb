import type { App } from '@slack/bolt';
import type { SlackDeps } from '../commands/slack-deps.ts';
import {
  ACTION_IDS,
  CALLBACK_IDS,
  EXTERNAL_SELECT_ACTIONS,
  OPEN_NIGHT_ACTION,
  RERUN_PICK_ACTION,
} from '../views/ids.ts';
import { appHomeOpened } from './app-home-opened.ts';
import { historyPagingAction } from './history-paging.ts';
import { openHistoryAction } from './open-history.ts';
import { openNightAction } from './open-night.ts';
import { orgOptionsHandler } from './org-options.ts';
import { repairAction } from './repair.ts';
import { rerunModalSubmit } from './rerun-modal-submit.ts';
import { rerunOrgSelectAction } from './rerun-org-select.ts';
import { rerunPickAction } from './rerun-pick.ts';
import { shareStatusAction } from './share-status.ts';
import { missingPromptsAction } from './show-all-missing.ts';

/** The one place where action ids, callback ids and events meet their handlers (ids from src/views/ids.ts). */
export function registerActions(app: App, deps: SlackDeps): void {
  app.action(ACTION_IDS.repair, repairAction(deps));
  app.action(ACTION_IDS.shareStatus, shareStatusAction(deps));
  app.action(ACTION_IDS.rerunOrgSelect, rerunOrgSelectAction(deps));
  app.action(ACTION_IDS.openHistory, openHistoryAction(deps));
  app.action(ACTION_IDS.historyOlder, historyPagingAction(deps));
  app.action(ACTION_IDS.historyNewer, historyPagingAction(deps));
  app.action(OPEN_NIGHT_ACTION, openNightAction(deps));
  app.action(RERUN_PICK_ACTION, rerunPickAction(deps));
  app.action(ACTION_IDS.showAllMissing, missingPromptsAction(deps));
  app.action(ACTION_IDS.missingPagePrev, missingPromptsAction(deps));
  app.action(ACTION_IDS.missingPageNext, missingPromptsAction(deps));
  app.view(CALLBACK_IDS.rerunModal, rerunModalSubmit(deps));
  for (const actionId of EXTERNAL_SELECT_ACTIONS) app.options(actionId, orgOptionsHandler(deps));
  app.event('app_home_opened', appHomeOpened(deps));
}
