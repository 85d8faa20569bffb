import type { CoverageReport } from '../coverage/types.ts';
import { formatByProvider, plural, runDateLabel } from './format.ts';
import { sentenceMessage } from './sentence-message.ts';

/** `<@U…>` for a user, `<!subteam^S…>` for a user group: how Slack notifies either. */
export const mentionOf = (id: string) => (id.startsWith('S') ? `<!subteam^${id}>` : `<@${id}>`);

/** The one thread reply that pages SLACK_ONCALL for a night that needs a person. */
export function oncallMention(input: { oncall: string; report: CoverageReport }) {
  const { report } = input;
  const byProvider: Record<string, number> = {};
  for (const p of report.providers) if (p.missingUnits > 0) byProvider[p.provider] = p.missingUnits;
  return sentenceMessage(
    `${mentionOf(input.oncall)} the night of ${runDateLabel(report.runDate)} needs attention: ${plural(report.units.missing, 'unit')} missing (${formatByProvider(byProvider)}). Repair re-runs them from the report above.`,
  );
}
