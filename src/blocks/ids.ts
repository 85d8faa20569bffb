import { UNIT_SCOPES, type UnitScope } from '../queue/run-scope.ts';

/**
 * Every identifier a view hands to Slack and a handler reads back: action_ids, callback_ids,
 * block_ids and the slash command names. Views and handlers import them from here, so a renamed
 * id cannot leave a button without its handler.
 */

/** The slash commands manifest.yml declares; the app registers exactly these (a test checks both). */
export const COMMANDS = {
  status: '/sched-status',
  rerun: '/sched-rerun',
  history: '/sched-history',
  snooze: '/sched-snooze',
} as const;
export type SlashCommand = (typeof COMMANDS)[keyof typeof COMMANDS];
export const SLASH_COMMANDS: readonly SlashCommand[] = Object.values(COMMANDS);

export const ACTION_IDS = {
  /** Repair button (danger, with a confirm dialog); value: run_date. */
  repair: 'repair_missing',
  /** Rerun-one-org select in a message (static or external); selected option value: org id. */
  rerunOrgSelect: 'rerun_org_select',
  /** History button; value: number of days. */
  openHistory: 'open_history',
  /** Share an ephemeral status to the channel; value: run_date. */
  shareStatus: 'share_status',
  /** Acknowledge on a missed night's alert (admins): the night stops being flagged; value: run_date. */
  ackNight: 'ack_night',
  /** "Show all" missing prompts: opens missingPromptsModal; value: encodePageValue(run_date, 0). */
  showAllMissing: 'show_all_missing',
  /** Paging inside missingPromptsModal; value: encodePageValue(run_date, page). */
  missingPagePrev: 'missing_page_prev',
  missingPageNext: 'missing_page_next',
  /** "Show all" under a running night's /sched-status: opens liveUnitsModal; value: encodePageValue(run_date, 0). */
  showAllLive: 'show_all_live',
  /** Paging inside liveUnitsModal; value: encodePageValue(run_date, page). */
  livePagePrev: 'live_page_prev',
  livePageNext: 'live_page_next',
  /** History paging; value: encodeHistoryPage(...). */
  historyOlder: 'history_older',
  historyNewer: 'history_newer',
  /** Org typeahead (external select) in the rerun modal; picking one refreshes the preview (dispatch_action). */
  rerunModalOrg: 'rerun_modal_org',
  /** Scope radio buttons in the rerun modal; values: RERUN_SCOPES. */
  rerunModalScope: 'rerun_modal_scope',
  /** "Repair options…" button next to Repair: opens the repair modal; value: run_date. */
  repairOptions: 'repair_options',
  /** Scope radio buttons in the repair modal; values: UNIT_SCOPES. */
  repairModalScope: 'repair_modal_scope',
  /** Provider select in the repair modal; values: EVERY_PROVIDER or a provider name. */
  repairModalProvider: 'repair_modal_provider',
  /** Checkbox in the repair modal: a second "every unit" repair of a night is meant; value: REPAIR_CONFIRM_FRESH. */
  repairModalConfirm: 'repair_modal_confirm',
  /** Provider static select in the rerun modal (no dispatch: read on submit); values: 'every' or a provider name. */
  rerunModalProvider: 'rerun_modal_provider',
} as const;
export type ActionId = (typeof ACTION_IDS)[keyof typeof ACTION_IDS];

/**
 * Actions that repeat within one view carry a suffix to stay unique (Slack rejects duplicate
 * action_ids); handlers match them with the regular expressions below.
 */
export const ACTION_PREFIXES = {
  /** "Details" button of one night (history, App Home); suffix and value: run_date. */
  openNight: 'open_night:',
  /** "Did you mean …?" under /sched-rerun, one button per suggested org; value: encodeRerunPick(...). */
  rerunPick: 'rerun_pick:',
  /** "Snooze" overflow on a report's provider or org line; suffix: the line's index; option value: encodeSnoozeChoice(...). */
  snooze: 'snooze:',
  /**
   * "Retry <provider> only" on a report's root-cause line (root-causes.ts); suffix: the provider;
   * value: encodeRepairScope({ runDate, units: 'missing', provider }).
   */
  retryProvider: 'retry_provider:',
} as const;
export const OPEN_NIGHT_ACTION = /^open_night:/;
export const RERUN_PICK_ACTION = /^rerun_pick:/;
export const SNOOZE_ACTION = /^snooze:/;
export const RETRY_PROVIDER_ACTION = /^retry_provider:/;

/** The external selects whose options Slack loads from the options-load URL. */
export const EXTERNAL_SELECT_ACTIONS: readonly string[] = [
  ACTION_IDS.rerunOrgSelect,
  ACTION_IDS.rerunModalOrg,
];

export const CALLBACK_IDS = {
  rerunModal: 'rerun_modal',
  repairModal: 'repair_modal',
  runDetailModal: 'run_detail_modal',
  missingPromptsModal: 'missing_prompts_modal',
  liveUnitsModal: 'live_units_modal',
  homeTab: 'home_tab',
} as const;

/** The one value of the repair modal's confirm checkbox. */
export const REPAIR_CONFIRM_FRESH = 'confirm_fresh';

export const BLOCK_IDS = {
  rerunModalOrg: 'rerun_org',
  rerunModalScope: 'rerun_scope',
  repairModalScope: 'repair_scope',
  repairModalProvider: 'repair_provider',
  repairModalConfirm: 'repair_confirm',
  rerunModalProvider: 'rerun_provider',
  reportActions: 'report_actions',
  statusActions: 'status_actions',
  historyPaging: 'history_paging',
  missingPaging: 'missing_paging',
  livePaging: 'live_paging',
  repairState: 'repair_state',
} as const;

/** The rerun modal's scope radio values: the scheduler's unit scopes (run-scope.ts). */
export const RERUN_SCOPES = UNIT_SCOPES;
export type RerunScopeValue = UnitScope;

/** The provider select's "no narrowing" option. */
export const EVERY_PROVIDER = 'every';
