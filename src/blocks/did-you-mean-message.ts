import { Blocks, Elements, Message } from 'slack-block-builder';
import type { ProviderName } from '../provider-names.ts';
import { describeScope } from '../queue/run-scope.ts';
import { inlineText } from './format.ts';
import { ACTION_PREFIXES, COMMANDS, type RerunScopeValue } from './ids.ts';
import { encodeRerunPick } from './values.ts';

/**
 * `/sched-rerun` with a name that is not exact: nothing runs on a guess. The closest orgs come
 * as buttons (one click reruns that one); none at all says how to name an org.
 */

export interface DidYouMeanInput {
  query: string;
  suggestions: { id: string; name: string; slug: string }[];
  runDate: string;
  scope: RerunScopeValue;
  /** Only this provider's units (`--provider`); the buttons carry it with the scope. */
  provider?: ProviderName | undefined;
}

export function didYouMeanMessage(input: DidYouMeanInput) {
  const asked = inlineText(input.query, 80);
  if (input.suggestions.length === 0) {
    const sentence = `🔍 No org matches “${asked}”. Name one by its name, slug or id, or run \`${COMMANDS.rerun}\` alone to pick it from a list.`;
    return Message({ text: sentence })
      .blocks(Blocks.Section({ text: sentence }))
      .buildToObject();
  }
  const scope = describeScope({ units: input.scope, provider: input.provider });
  const sentence = `🔍 No org is named exactly “${asked}”. Did you mean one of these (${scope})? Nothing was rerun yet.`;
  const buttons = input.suggestions.slice(0, 5).map((org, index) =>
    Elements.Button({
      text: inlineText(`${org.name} (${org.slug})`, 70),
      actionId: `${ACTION_PREFIXES.rerunPick}${index}`,
      value: encodeRerunPick({
        runDate: input.runDate,
        scope: input.scope,
        orgId: org.id,
        ...(input.provider ? { provider: input.provider } : {}),
      }),
    }),
  );
  return Message({ text: sentence })
    .blocks(Blocks.Section({ text: sentence }), Blocks.Actions().elements(buttons))
    .buildToObject();
}
