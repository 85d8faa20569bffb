import type { BlockAction, Middleware, SlackActionMiddlewareArgs } from '@slack/bolt';
import { z } from 'zod';
import { decodeRerunMetadata } from '../../blocks/rerun-metadata.ts';
import { rerunModal, rerunModalChoices } from '../../blocks/rerun-modal.ts';
import { orgById } from '../../orgs/find-org.ts';
import { slackErrorCode } from '../../report/report-poster.ts';
import { rerunCostPreview } from '../../report/rerun-cost.ts';
import type { SlackDeps } from '../slack-deps.ts';

/** The fields of the modal's block action this handler reads; anything else is ignored. */
const schema = z.object({
  user: z.object({ id: z.string().min(1) }),
  view: z.object({
    id: z.string(),
    hash: z.string().optional(),
    private_metadata: z.string().optional(),
    state: z.object({ values: z.record(z.string(), z.record(z.string(), z.any())) }).optional(),
  }),
  actions: z.array(z.object({ selected_option: z.object({ value: z.string() }).nullish() })).min(1),
});

/**
 * An org picked in the rerun modal's typeahead: the preview under it is redrawn with what each
 * scope would enqueue for that org, per provider, and its cost, keeping the choices made so far.
 * Only an admin's modal is filled (the modal shows a refusal to anyone else).
 */
export const rerunModalOrgAction =
  (deps: SlackDeps): Middleware<SlackActionMiddlewareArgs<BlockAction>> =>
  async ({ ack, body, client }) => {
    await ack();
    const parsed = schema.safeParse(body);
    if (!parsed.success) return;
    const { user, view, actions } = parsed.data;
    const orgId = actions[0]?.selected_option?.value;
    const metadata = decodeRerunMetadata(view.private_metadata);
    if (!orgId || !metadata || !(await deps.access.isAdmin(user.id))) return;
    const org = await orgById(deps.db, orgId);
    if (!org) return;
    const cost = await rerunCostPreview(deps, { runDate: metadata.runDate, orgId: org.id });
    const modal = rerunModal({
      ...rerunModalChoices(view.state?.values ?? {}),
      initialOrg: { id: org.id, name: org.name, slug: org.slug },
      runDate: metadata.runDate,
      privateMetadata: view.private_metadata,
      cost,
    });
    // The hash makes Slack refuse the update if the person changed the view meanwhile; a modal
    // changed or closed since has nothing to redraw, and nobody to tell.
    try {
      await client.views.update({ view_id: view.id, ...(view.hash ? { hash: view.hash } : {}), view: modal });
    } catch (error) {
      const code = slackErrorCode(error);
      if (code !== 'hash_conflict' && code !== 'not_found') throw error;
      deps.logger.info({ code, viewId: view.id }, 'the rerun modal changed before its preview was redrawn');
    }
  };
