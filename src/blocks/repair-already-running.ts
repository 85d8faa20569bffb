import { actorLabel, slackDate } from './format.ts';
import { sentenceMessage } from './sentence-message.ts';

export interface RepairAlreadyRunningInput {
  userId: string;
  startedAt: Date;
  /** Zone of the fallback text for clients that cannot render date tokens. */
  timezone?: string;
}

/** The answer to a second click (or Slack's retry of the first) while a repair runs. */
export function repairAlreadyRunning(input: RepairAlreadyRunningInput) {
  const at = slackDate(input.startedAt, input.timezone, '{date_short_pretty} at {time}');
  return sentenceMessage(
    `⏳ A repair is already running, started by ${actorLabel(input.userId)} ${at}. Nothing new was started.`,
  );
}
