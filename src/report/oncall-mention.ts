import type { webApi } from '@slack/bolt';
import { oncallMention } from '../blocks/oncall-mention.ts';
import type { CoverageReport } from '../coverage/types.ts';
import { toError } from '../errors.ts';
import { needsPerson } from '../scheduler/oncall-paging.ts';
import { claimOncallMention, recordOncallMention, releaseOncallMention } from '../store/night-pages.ts';
import type { ReportTarget } from '../store/slack-reports.ts';
import { MESSAGE_TYPES, postOnce } from './post-once.ts';
import type { ReportDeps } from './report-poster.ts';

/**
 * SLACK_ONCALL is mentioned once per night, in a reply in the report's thread: the report itself
 * is edited many times, and an edit never notifies, so the mention cannot live in it. The reply
 * is claimed in night_pages before it is posted (one instance posts it); a post that fails hands
 * the claim back, and one whose poster died is taken over after a minute.
 */

type Client = Pick<webApi.WebClient, 'chat' | 'conversations'>;

const CLAIM_STALE_SECONDS = 60;

export type MentionOutcome = 'off' | 'not_needed' | 'already' | 'mentioned' | 'failed';

export async function mentionOncall(
  deps: ReportDeps & { client: Client },
  params: { report: CoverageReport; thread: ReportTarget },
): Promise<MentionOutcome> {
  const { client } = deps;
  const { report, thread } = params;
  const oncall = deps.config.slack.oncall;
  if (!oncall) return 'off';
  if (!needsPerson(report)) return 'not_needed';
  const runDate = report.runDate;
  try {
    const claimed = await claimOncallMention(deps.db, { runDate, staleSeconds: CLAIM_STALE_SECONDS });
    if (!claimed) return 'already';
  } catch (error) {
    deps.logger.error({ err: toError(error), runDate }, 'on-call mention not claimed');
    return 'failed';
  }
  try {
    const message = oncallMention({ oncall, report });
    const posted = await postOnce(
      { client, logger: deps.logger },
      {
        channel: thread.channel,
        threadTs: thread.ts,
        text: message.text ?? '',
        blocks: message.blocks,
        key: { eventType: MESSAGE_TYPES.threadLine, payload: { run_date: runDate, kind: 'oncall' } },
      },
    );
    await recordOncallMention(deps.db, { runDate, ts: posted.ts });
    deps.logger.info({ runDate, channel: thread.channel }, 'on-call mentioned in the report thread');
    return 'mentioned';
  } catch (error) {
    deps.logger.error({ err: toError(error), runDate }, 'on-call mention not posted');
    await releaseOncallMention(deps.db, runDate).catch(() => undefined);
    return 'failed';
  }
}
