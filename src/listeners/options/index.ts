import type { App } from '@slack/bolt';
import { EXTERNAL_SELECT_ACTIONS } from '../../blocks/ids.ts';
import type { SlackDeps } from '../slack-deps.ts';
import { orgTypeaheadOptions } from './org-typeahead.ts';

/** Typeaheads of external selects (block_suggestion), named `<file>Options`. Returns their ids. */
export function registerOptions(app: App, deps: SlackDeps): readonly string[] {
  for (const actionId of EXTERNAL_SELECT_ACTIONS) app.options(actionId, orgTypeaheadOptions(deps));
  return EXTERNAL_SELECT_ACTIONS;
}
