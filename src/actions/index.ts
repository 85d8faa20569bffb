import type { App } from '@slack/bolt';
import type { SlackDeps } from '../commands/slack-deps.ts';
import {
  ACTION_IDS,
  CALLBACK_IDS,
  EXTERNAL_SELECT_ACTIONS,
  OPEN_NIGHT_ACTION,
  RERUN_PICK_ACTION,
  RETRY_PROVIDER_ACTION,
  SNOOZE_ACTION,
} from '../views/ids.ts';
import { appHomeOpenedEvent } from './app-home-opened.ts';
import { historyPagingAction } from './history-paging.ts';
import { openHistoryAction } from './open-history.ts';
import { openNightAction } from './open-night.ts';
import { orgTypeaheadOptions } from './org-typeahead.ts';
import { repairAction } from './repair.ts';
import { repairModalSubmitView } from './repair-modal-submit.ts';
import { repairOptionsAction } from './repair-options.ts';
import { rerunModalOrgAction } from './rerun-modal-org.ts';
import { rerunModalSubmitView } from './rerun-modal-submit.ts';
import { rerunOrgSelectAction } from './rerun-org-select.ts';
import { rerunPickAction } from './rerun-pick.ts';
import { retryProviderAction } from './retry-provider.ts';
import { shareStatusAction } from './share-status.ts';
import { showAllMissingAction } from './show-all-missing.ts';
import { snoozeLineAction } from './snooze-line.ts';

/**
 * The one place where action ids, callback ids and events meet their handlers (ids from
 * src/views/ids.ts). A handler is named after its file and the kind of listener it is:
 * `<file>Action`, `<file>View` (a modal submission), `<file>Options` (a typeahead) or `<file>Event`;
 * slash commands are `<file>Command` (src/commands).
 */
export function registerActions(app: App, deps: SlackDeps): void {
  app.action(ACTION_IDS.repair, repairAction(deps));
  app.action(ACTION_IDS.repairOptions, repairOptionsAction(deps));
  app.action(RETRY_PROVIDER_ACTION, retryProviderAction(deps));
  app.action(ACTION_IDS.shareStatus, shareStatusAction(deps));
  app.action(ACTION_IDS.rerunOrgSelect, rerunOrgSelectAction(deps));
  app.action(ACTION_IDS.openHistory, openHistoryAction(deps));
  app.action(ACTION_IDS.historyOlder, historyPagingAction(deps));
  app.action(ACTION_IDS.historyNewer, historyPagingAction(deps));
  app.action(OPEN_NIGHT_ACTION, openNightAction(deps));
  app.action(RERUN_PICK_ACTION, rerunPickAction(deps));
  app.action(SNOOZE_ACTION, snoozeLineAction(deps));
  app.action(ACTION_IDS.showAllMissing, showAllMissingAction(deps));
  app.action(ACTION_IDS.missingPagePrev, showAllMissingAction(deps));
  app.action(ACTION_IDS.missingPageNext, showAllMissingAction(deps));
  app.action(ACTION_IDS.rerunModalOrg, rerunModalOrgAction(deps));
  app.view(CALLBACK_IDS.rerunModal, rerunModalSubmitView(deps));
  app.view(CALLBACK_IDS.repairModal, repairModalSubmitView(deps));
  for (const actionId of EXTERNAL_SELECT_ACTIONS) app.options(actionId, orgTypeaheadOptions(deps));
  app.event('app_home_opened', appHomeOpenedEvent(deps));
}
