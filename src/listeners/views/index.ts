import type { App } from '@slack/bolt';
import { CALLBACK_IDS } from '../../blocks/ids.ts';
import type { SlackDeps } from '../slack-deps.ts';
import { repairModalSubmitView } from './repair-modal-submit.ts';
import { rerunModalSubmitView } from './rerun-modal-submit.ts';

/** Modal submissions (view_submission), one file each, named `<file>View`. Returns the callback ids. */
export function registerViews(app: App, deps: SlackDeps): string[] {
  const callbacks = [CALLBACK_IDS.rerunModal, CALLBACK_IDS.repairModal];
  app.view(CALLBACK_IDS.rerunModal, rerunModalSubmitView(deps));
  app.view(CALLBACK_IDS.repairModal, repairModalSubmitView(deps));
  return callbacks;
}
