import type { NightWarningRow } from '../store/night-warnings.ts';
import { slackTime } from './format.ts';
import { providerTitle } from './projection-words.ts';

/**
 * The morning report's line about the warnings the night watch raised while the night ran, each
 * linked to its message: "⚠️ While it ran: Perplexity failing 03:22 (recovered) · not moving
 * 03:30". Undefined when the night raised none.
 */

const KIND_WORDS = {
  provider_failing: (subject: string) => `${providerTitle(subject)} failing`,
  stalled: () => 'not moving',
  late_finish: () => 'late to finish',
} as const;

/** Slack's link to a message; it opens in whichever workspace the reader is signed in to. */
export const messageLink = (channel: string, ts: string) =>
  `https://slack.com/archives/${channel}/p${ts.replace('.', '')}`;

export function nightWarningLine(warnings: NightWarningRow[], zone: string): string | undefined {
  const posted = warnings.filter((w) => w.ts !== null && w.channel !== null);
  if (posted.length === 0) return undefined;
  // A link's label cannot hold a date token: the time goes after the link.
  const items = posted.map((w) => {
    const link = `<${messageLink(w.channel ?? '', w.ts ?? '')}|${KIND_WORDS[w.kind](w.subject)}>`;
    return `${link} ${slackTime(w.claimedAt, zone)}${w.state === 'recovered' ? ' (recovered)' : ''}`;
  });
  return `⚠️ While it ran: ${items.join(' · ')}`;
}
