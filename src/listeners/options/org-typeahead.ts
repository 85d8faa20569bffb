import type { Middleware, SlackOptionsMiddlewareArgs } from '@slack/bolt';
import { orgOptions } from '../../blocks/org-options.ts';
import { toError } from '../../errors.ts';
import { type Org, searchOrgs } from '../../orgs/find-org.ts';
import { withDeadline } from '../../time/waits.ts';
import type { SlackDeps } from '../slack-deps.ts';

/**
 * The org typeaheads (rerun modal, "Rerun org…" on large reports). Slack waits for the options
 * in the ack itself, so the search cannot wait for the ack; instead the ack never waits longer
 * than OPTIONS_DEADLINE_MS: a database slower than that gets an empty list (the user types one
 * more letter and Slack asks again) rather than a request Slack has given up on.
 */
export const OPTIONS_DEADLINE_MS = 2_000;

export const orgTypeaheadOptions =
  (
    deps: SlackDeps,
    params: { deadlineMs?: number } = {},
  ): Middleware<SlackOptionsMiddlewareArgs<'block_suggestion'>> =>
  async ({ ack, body }) => {
    const { deadlineMs = OPTIONS_DEADLINE_MS } = params;
    const typed = typeof body.value === 'string' ? body.value : '';
    const search = searchOrgs(deps.db, { text: typed }).catch((error: unknown) => {
      deps.logger.warn({ err: toError(error) }, 'org typeahead search failed; no options offered');
      return [] as Org[];
    });
    const orgs = await withDeadline(search, deadlineMs, () => undefined);
    if (orgs === undefined)
      deps.logger.warn({ deadlineMs }, 'org typeahead search too slow; no options offered');
    await ack(orgOptions((orgs ?? []).map((o) => ({ id: o.id, name: o.name, slug: o.slug }))));
  };
