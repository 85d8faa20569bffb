import { Blocks, Message } from 'slack-block-builder';
import type { Holder } from '../scheduler/early-warning-rules.ts';
import type { NightWarning } from '../scheduler/night-reporter.ts';
import { count, plural, runDateLabel, slackTime } from './format.ts';
import { mentionOf } from './oncall-mention.ts';
import { holderWords, providerTitle, type TimeWords } from './projection-words.ts';
import { snoozeOverflow } from './snooze-menu.ts';

/**
 * The night watch's messages in the report channel: a provider failing (edited when it recovers
 * and again if it fails again, with the Snooze menu of the report's provider lines), a night
 * that does not move, a night that will finish after the postcheck. The on-call is mentioned in
 * the first post only: an edit never notifies.
 */

export function nightWarningSentence(warning: NightWarning, zone: string): string {
  const time: TimeWords = (instant) => slackTime(instant, zone);
  const { decision, now } = warning;
  switch (decision.kind) {
    case 'provider_failing': {
      const name = providerTitle(decision.provider);
      const w = decision.window;
      const failed = `${Math.round(w.rate * 100)}% of the last ${plural(w.calls, 'call')} failed${w.cause ? ` (${w.cause})` : ''}`;
      if (decision.action === 'recover') {
        const since = warning.firstRaisedAt ? ` (warned at ${time(warning.firstRaisedAt)})` : '';
        return `✅ *${name}* has recovered, ${time(now)}: ${failed}${since}.`;
      }
      const again = decision.action === 'relapse' ? ' is failing again' : '';
      const earlier =
        decision.action === 'relapse' && warning.firstRaisedAt
          ? ` (first warned at ${time(warning.firstRaisedAt)})`
          : '';
      return `⚠️ *${name}*${again}: ${failed}, ${time(now)}${earlier}; ${missWords(warning, time)}.`;
    }
    case 'stalled': {
      const quiet = Math.floor((now.getTime() - decision.since.getTime()) / 60_000);
      const held = holdersWords(decision.holders, time);
      return `🧊 The night of ${runDateLabel(warning.runDate)} is not moving: no unit finished since ${time(decision.since)} (${plural(quiet, 'minute')}), ${plural(decision.live, 'unit')} wait.${held ? ` Held up by ${held}.` : ''}`;
    }
    case 'late_finish': {
      const { projection, holder } = decision;
      const finish = projection.finishAt ? time(projection.finishAt) : 'unknown';
      const postcheck = projection.postcheckAt ? time(projection.postcheckAt) : 'the';
      return `🐢 The night of ${runDateLabel(warning.runDate)} will not finish before the ${postcheck} postcheck: about ${finish} at the current pace; ${holderWords(holder, time)} holds it up (${plural(holder.live, 'unit')} left, ${count(projection.unitsLeftAtPostcheck)} would still wait at the postcheck).`;
    }
  }
}

function missWords(warning: NightWarning, time: TimeWords): string {
  const units = plural(warning.unitsAtRisk, 'unit');
  return warning.postcheckAt
    ? `at this rate ${units} will miss the ${time(warning.postcheckAt)} postcheck`
    : `at this rate ${units} of what is left will fail`;
}

const holdersWords = (holders: Holder[], time: TimeWords) =>
  holders.map((h) => `${holderWords(h, time)} (${plural(h.live, 'unit')})`).join('; ');

export function nightWarningMessage(warning: NightWarning, zone: string, options: { oncall?: string } = {}) {
  const sentence = nightWarningSentence(warning, zone);
  const mention = options.oncall && warning.first ? `${mentionOf(options.oncall)} ` : '';
  const text = `${mention}${sentence}`;
  const section = Blocks.Section({ text });
  const { decision } = warning;
  // Snoozing a failing provider is the one thing to do from here; admins only (the action checks).
  if (decision.kind === 'provider_failing' && decision.action !== 'recover')
    section.accessory(snoozeOverflow(`warn-${decision.provider}`, { provider: decision.provider }));
  return Message({ text }).blocks(section).buildToObject();
}
