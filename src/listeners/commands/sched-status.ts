import type { Middleware, SlackCommandMiddlewareArgs } from '@slack/bolt';
import { runAudit } from '../../audit/run-audit.ts';
import { auditMessage } from '../../blocks/audit-message.ts';
import { errorMessage } from '../../blocks/error-message.ts';
import { inlineText } from '../../blocks/format.ts';
import { liveStatusMessage } from '../../blocks/live-status-message.ts';
import { toNightProgress } from '../../blocks/night-progress.ts';
import { sentenceMessage } from '../../blocks/sentence-message.ts';
import { statusMessage } from '../../blocks/status-message.ts';
import { unknownOrgMessage } from '../../blocks/unknown-org-message.ts';
import { findOrg, MAX_QUERY_LENGTH } from '../../orgs/find-org.ts';
import { getNight } from '../../scheduler/history.ts';
import { measureLiveStatus } from '../../scheduler/live-status.ts';
import { measureNightPace } from '../../scheduler/night-pace.ts';
import { measureOrgCoverage } from '../../scheduler/org-coverage.ts';
import { measureCoverage } from '../../scheduler/postcheck.ts';
import { measureProgress } from '../../scheduler/progress.ts';
import { previewRepair } from '../../scheduler/repair.ts';
import { ineligibility } from '../../scheduler/rerun.ts';
import { allowOrExplain } from '../../slack/access.ts';
import { parseRunDate, runDateOf } from '../../time/business-day.ts';
import type { SlackDeps } from '../slack-deps.ts';
import { parseCommand } from './command-input.ts';

/** /sched-status [YYYY-MM-DD | org]: the night's state, only for the asker, with Repair and Share. */

export type StatusArgument =
  | { kind: 'date'; runDate: string }
  | { kind: 'audit'; runDate: string }
  | { kind: 'org'; query: string }
  | { kind: 'invalid'; sentence: string };

/** Pure: what the user asked for. Anything that starts like a year is read as a date. */
export function parseStatusArgument(args: string, today: string): StatusArgument {
  if (args === '') return { kind: 'date', runDate: today };
  // `audit [YYYY-MM-DD]` is a word of its own, not an org name: the books of a night (admins only).
  const audit = /^audit(?:\s+(\S+))?$/i.exec(args);
  if (audit) {
    const date = audit[1] === undefined ? today : parseRunDate(audit[1]);
    if (!date || date > today)
      return {
        kind: 'invalid',
        sentence: `Use \`audit\` or \`audit YYYY-MM-DD\` with a day up to ${today}.`,
      };
    return { kind: 'audit', runDate: date };
  }
  if (args.length > MAX_QUERY_LENGTH) {
    return {
      kind: 'invalid',
      sentence: `That argument is ${args.length} characters long; give a date as YYYY-MM-DD or an org's name, slug or id.`,
    };
  }
  if (/^\d{4}-/.test(args)) {
    const runDate = parseRunDate(args);
    if (!runDate)
      return { kind: 'invalid', sentence: `“${args}” is not a date; use YYYY-MM-DD, for example ${today}.` };
    if (runDate > today) {
      return {
        kind: 'invalid',
        sentence: `${runDate} has not happened yet: today's business day is ${today}.`,
      };
    }
    return { kind: 'date', runDate };
  }
  return { kind: 'org', query: args };
}

export const schedStatusCommand =
  (deps: SlackDeps): Middleware<SlackCommandMiddlewareArgs> =>
  async ({ ack, command, respond, client }) => {
    await ack();
    const input = parseCommand(command);
    const today = runDateOf(deps.clock(), deps.config.timezone);
    const argument = parseStatusArgument(input.args, today);
    if (argument.kind === 'audit') {
      const target = { respond, client, userId: input.user_id };
      if (!(await allowOrExplain(deps, { target, action: 'audit the books' }))) return;
      const result = await runAudit(deps, { runDates: [argument.runDate] });
      await respond({ ...auditMessage(result), response_type: 'ephemeral' });
      return;
    }
    const message = await statusAnswer(deps, argument, today);
    await respond({ ...message, response_type: 'ephemeral' });
  };

async function statusAnswer(
  deps: SlackDeps,
  argument: Exclude<StatusArgument, { kind: 'audit' }>,
  today: string,
) {
  if (argument.kind === 'invalid') return errorMessage(argument.sentence);
  if (argument.kind === 'org') return orgStatus(deps, argument.query, today);
  const { runDate } = argument;
  const now = deps.clock();
  // While the night runs, its figures come from the task counts and only what the message shows
  // is listed: measuring coverage would read every unit not answered yet (25 s at 400,000).
  const progress = await measureProgress(deps.db, { runDate, now });
  const live = await measureLiveStatus(deps, { runDate, progress });
  const running = live && toNightProgress(live.progress);
  if (live && running)
    return liveStatusMessage({ ...live, progress: running, now, zone: deps.config.timezone });
  const [report, preview, pace] = await Promise.all([
    measureCoverage(deps, { runDate, now }),
    previewRepair(deps, { runDate }),
    measureNightPace(deps, { runDate, now }),
  ]);
  const nothingRan = progress.total === 0 && runDate < today && !(await getNight(deps.db, runDate));
  if (nothingRan)
    return errorMessage(`Nothing ran on ${runDate}: no task and no postcheck were recorded for that day.`);
  return statusMessage({
    report,
    progress: toNightProgress(progress, pace.projection),
    repairPreview: preview,
    runbookUrl: deps.config.runbookUrl,
    now,
  });
}

async function orgStatus(deps: SlackDeps, query: string, today: string) {
  const found = await findOrg(deps.db, query);
  if (found.kind === 'none')
    return unknownOrgMessage(
      query,
      found.closest.map((name) => ({ name })),
    );
  if (found.kind === 'ambiguous') {
    const names = found.candidates
      .slice(0, 5)
      .map((o) => `*${inlineText(o.name, 80)}* (${inlineText(o.slug, 60)})`);
    const more = found.candidates.length > 5 ? `, +${found.candidates.length - 5} more` : '';
    return sentenceMessage(
      `🔍 “${inlineText(query, 80)}” matches ${found.candidates.length} orgs: ${names.join(', ')}${more}. Name one by its slug.`,
    );
  }
  const report = await measureOrgCoverage(deps, { runDate: today, org: found.org });
  if (!report) {
    return errorMessage(
      ineligibility(found.org) ?? `${found.org.name} has no active prompt expected on ${today}.`,
    );
  }
  const message = statusMessage({ report, runbookUrl: deps.config.runbookUrl, now: deps.clock() });
  // The status view has no notion of "one org"; a context line under the header says whose numbers these are.
  const scope = {
    type: 'context',
    elements: [
      {
        type: 'mrkdwn',
        text: `Organization: *${inlineText(found.org.name, 200)}* (${inlineText(found.org.slug, 100)})`,
      },
    ],
  };
  return {
    ...message,
    blocks: [...(message.blocks ?? []).slice(0, 1), scope, ...(message.blocks ?? []).slice(1)],
  };
}
