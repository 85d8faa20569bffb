import { inlineText } from './format.ts';
import { COMMANDS } from './ids.ts';
import { sentenceMessage } from './sentence-message.ts';

const MAX_SUGGESTIONS = 5;

/** "No org matches “acmee”. Closest: Acme (acme), …" */
export function unknownOrgMessage(query: string, closest: { name: string; slug?: string }[]) {
  const asked = inlineText(query, 80);
  const head = asked === '' ? 'Name an org: by name, slug or id.' : `No org matches “${asked}”.`;
  if (closest.length === 0) return sentenceMessage(`🔍 ${head}`);
  const names = closest
    .slice(0, MAX_SUGGESTIONS)
    .map((o) => `*${inlineText(o.name, 80)}*${o.slug ? ` (${inlineText(o.slug, 60)})` : ''}`);
  const example = closest[0]?.slug ? ` Try \`${COMMANDS.rerun} ${inlineText(closest[0].slug, 60)}\`.` : '';
  return sentenceMessage(`🔍 ${head} Closest: ${names.join(', ')}.${example}`);
}
