import type { Health } from '../coverage/types.ts';
import { describeScope } from '../queue/run-scope.ts';
import type { RunOutcome } from '../scheduler/night-reporter.ts';
import { actorLabel, healthLabel, inlineText, shortRunDateLabel } from './format.ts';
import { sentenceMessage } from './sentence-message.ts';

/**
 * How a repair or rerun ended, in one line: what ran (scope), who asked, what came of it, and the
 * night's figure now. Posted in the thread of the night's report (or to the asker).
 */
export function runOutcomeMessage(outcome: RunOutcome) {
  const what = outcome.kind === 'rerun' ? `Rerun of *${inlineText(outcome.org ?? 'an org', 200)}*` : 'Repair';
  const icon = outcome.failed === 0 ? '✅' : '⚠️';
  const answered = `${outcome.done} of ${outcome.units} ${outcome.units === 1 ? 'unit' : 'units'} answered`;
  const failed = outcome.failed > 0 ? `, ${outcome.failed} failed for good` : '';
  const night = outcome.night
    ? ` The night now: prompts ${outcome.night.promptPercent}%, ${healthLabel(outcome.night.health as Health)}.`
    : '';
  return sentenceMessage(
    `${icon} ${what} for ${shortRunDateLabel(outcome.runDate)} (${describeScope(outcome.scope)}), asked by ${actorLabel(outcome.triggeredBy)}, finished: ${answered}${failed}.${night}`,
  );
}
