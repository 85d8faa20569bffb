import type { Middleware, SlackOptionsMiddlewareArgs } from '@slack/bolt';
import { searchOrgs } from '../orgs/find-org.ts';
import type { SlackDeps } from '../slack/slack-deps.ts';
import { orgOptions } from '../views/org-options.ts';

/**
 * The org typeaheads (rerun modal, "Rerun org…" on large reports). Slack waits for the options
 * in the ack itself, so here the work comes first: one indexed search, at most 100 answers.
 */
export const orgOptionsHandler =
  (deps: SlackDeps): Middleware<SlackOptionsMiddlewareArgs<'block_suggestion'>> =>
  async ({ ack, body }) => {
    const typed = typeof body.value === 'string' ? body.value : '';
    const orgs = await searchOrgs(deps.db, typed);
    await ack(orgOptions(orgs.map((o) => ({ id: o.id, name: o.name, slug: o.slug }))));
  };
