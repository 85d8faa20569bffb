import type { types, webApi } from '@slack/bolt';
import { loadingModal } from '../blocks/loading-view.ts';

/**
 * A trigger_id lives three seconds and an admin-group lookup or a coverage query may take
 * longer: a modal is opened (or pushed) with a loading view first, and the handler fills it
 * with `views.update` once it knows what to show.
 */

type Views = Pick<webApi.WebClient, 'views'>;
type ModalView = types.ModalView;

export async function openLoadingModal(
  client: Views,
  triggerId: string,
  heading: string,
  options: { push?: boolean } = {},
): Promise<string> {
  const view = loadingModal(heading) as ModalView;
  const opened = options.push
    ? await client.views.push({ trigger_id: triggerId, view })
    : await client.views.open({ trigger_id: triggerId, view });
  const id = opened.view?.id;
  if (!id) throw new Error('Slack opened the modal but returned no view id');
  return id;
}

export async function fillModal(client: Views, viewId: string, view: object): Promise<void> {
  await client.views.update({ view_id: viewId, view: view as ModalView });
}
