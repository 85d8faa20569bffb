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
import { ackNightAction } from './ack-night.ts';
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
  // Every id and pattern registered, noted as it is: the catch-alls below take the rest.
  const actions: (string | RegExp)[] = [];
  const views: string[] = [];
  const action = <T extends string | RegExp>(id: T): T => {
    actions.push(id);
    return id;
  };
  const view = (id: string): string => {
    views.push(id);
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
  app.action(action(ACTION_IDS.rerunModalOrg), rerunModalOrgAction(deps));
  app.view(view(CALLBACK_IDS.rerunModal), rerunModalSubmitView(deps));
  app.view(view(CALLBACK_IDS.repairModal), repairModalSubmitView(deps));
  for (const actionId of EXTERNAL_SELECT_ACTIONS) app.options(actionId, orgTypeaheadOptions(deps));
  app.event('app_home_opened', appHomeOpenedEvent(deps));

  // What no listener above takes (a button of an old message, an input element Slack dispatched
  // anyway, a modal closed) is acknowledged at once: Bolt would leave it to its 3 s timeout,
  // answer 404 and log an error, and Slack would show the user a warning.
  const unknown =
    (kind: string) =>
    async ({ ack }: { ack: () => Promise<void> }) => {
      await ack();
      deps.logger.debug({ kind }, 'acknowledged a Slack request that no listener takes');
    };
  app.action(unlessOneOf(actions), unknown('action'));
  app.view({ callback_id: unlessOneOf(views), type: 'view_submission' }, unknown('view'));
  app.view({ callback_id: /.*/, type: 'view_closed' }, unknown('view_closed'));
  app.options(unlessOneOf(EXTERNAL_SELECT_ACTIONS), async ({ ack }) => {
    await ack({ options: [] });
  });
  app.shortcut(/.*/, unknown('shortcut'));
}

/** A pattern that matches every id the given ids and patterns do not. */
export function unlessOneOf(patterns: readonly (string | RegExp)[]): RegExp {
  const literal = (id: string) => id.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  const lookaheads = patterns.map((p) => `(?!${typeof p === 'string' ? `${literal(p)}$` : p.source})`);
  return new RegExp(`^${lookaheads.join('')}`);
}
