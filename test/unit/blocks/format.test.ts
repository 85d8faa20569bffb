import { describe, expect, it } from 'vitest';
import {
  actorLabel,
  escapeMrkdwn,
  formatDelta,
  formatDuration,
  inlineText,
  packLines,
  progressBar,
  runDateLabel,
  slackDate,
  truncate,
} from '../../../src/blocks/format.ts';
import { COMMANDS, SLASH_COMMANDS } from '../../../src/blocks/ids.ts';
import { failureCauses } from '../../../src/blocks/provider-lines.ts';
import { medianOf, SPARK_GAP, sparkline } from '../../../src/blocks/trend.ts';
import {
  decodeHistoryPage,
  decodePageValue,
  encodeHistoryPage,
  encodePageValue,
} from '../../../src/blocks/values.ts';

describe('escaping and cutting user text', () => {
  it('escapes the three characters Slack parses', () => {
    expect(escapeMrkdwn('<@U1> & <!channel> <https://x|y>')).toBe(
      '&lt;@U1&gt; &amp; &lt;!channel&gt; &lt;https://x|y&gt;',
    );
  });

  it('cuts by code points, never inside an emoji, and marks the cut', () => {
    expect(truncate('abcdef', 4)).toBe('abc…');
    expect(truncate('abc', 3)).toBe('abc');
    expect(truncate('🙂🙂🙂🙂', 3)).toBe('🙂🙂…');
  });

  it('cuts before escaping, so an entity is never split, and folds newlines', () => {
    const text = inlineText('&&&&&&', 4);
    expect(text).toBe('&amp;&amp;&amp;…');
    expect(inlineText('a\n\nb', 10)).toBe('a b');
  });

  it('mentions Slack user ids and shows other actors as escaped text', () => {
    expect(actorLabel('U0123ABC')).toBe('<@U0123ABC>');
    expect(actorLabel('slack:W0123ABC')).toBe('<@W0123ABC>');
    expect(actorLabel('cron')).toBe('`cron`');
    expect(actorLabel('<!everyone>')).toBe('`&lt;!everyone&gt;`');
  });
});

describe('dates and numbers', () => {
  it('writes times as Slack date tokens with a fallback in the zone, across both DST changes', () => {
    expect(slackDate(new Date('2026-03-08T07:00:00Z'), 'America/New_York')).toBe(
      '<!date^1772953200^{date_short_pretty} {time}|2026-03-08 03:00 EDT>',
    );
    expect(slackDate(new Date('2026-03-08T06:59:00Z'), 'America/New_York')).toContain(
      '|2026-03-08 01:59 EST>',
    );
    expect(slackDate(new Date('2026-11-01T05:30:00Z'), 'America/New_York')).toContain(
      '|2026-11-01 01:30 EDT>',
    );
    expect(slackDate(new Date('2026-11-01T06:30:00Z'), 'America/New_York')).toContain(
      '|2026-11-01 01:30 EST>',
    );
  });

  it('shows a business day as the date it is, not through a time zone', () => {
    expect(runDateLabel('2026-03-08')).toBe('Sun, Mar 8, 2026');
    expect(runDateLabel('2026-11-01')).toBe('Sun, Nov 1, 2026');
  });

  it('formats changes, durations and progress', () => {
    expect(formatDelta(97.3, 95)).toBe('▲ 2.3 pts');
    expect(formatDelta(90, 95.5)).toBe('▼ 5.5 pts');
    expect(formatDelta(95, 95)).toBe('= 0 pts');
    expect(formatDuration(30_000)).toBe('30s');
    expect(formatDuration(45 * 60_000)).toBe('45m');
    expect(formatDuration(72 * 60_000)).toBe('1h 12m');
    expect(formatDuration(120 * 60_000)).toBe('2h');
    expect(progressBar(0, 10)).toBe('░░░░░░░░░░');
    expect(progressBar(5, 10)).toBe('▓▓▓▓▓░░░░░');
    expect(progressBar(0, 0)).toBe('▓▓▓▓▓▓▓▓▓▓');
  });

  it('words provider failure causes as the report shows them', () => {
    expect(failureCauses({ rate_limited: 39, timeout: 2 })).toBe('41 failed, 39 rate limited, 2 timed out');
    expect(failureCauses({ pending: 3, timeout: 1 })).toBe('4 missing, 3 still queued, 1 timed out');
    expect(failureCauses({})).toBe('');
  });
});

describe('packLines', () => {
  it('packs whole lines into texts within the limit', () => {
    const lines = Array.from({ length: 100 }, (_, i) => `${i}`.padEnd(100, '.'));
    const texts = packLines(lines, 1000);
    expect(texts.every((t) => t.length <= 1000)).toBe(true);
    expect(texts.join('\n').split('\n')).toEqual(lines);
  });

  it('cuts a single line that is longer than the limit', () => {
    expect(packLines(['x'.repeat(5000)], 3000)[0]).toHaveLength(3000);
    expect(packLines([])).toEqual([]);
  });
});

describe('sparkline and median', () => {
  it('scales from the lowest value (at most 90) to 100 and shows missing nights as gaps', () => {
    expect(sparkline([90, 95, 100, null])).toEqual({ line: `▁▅█${SPARK_GAP}`, floor: 90 });
    expect(sparkline([40, 100]).floor).toBe(40);
    expect(sparkline([100, 100]).line).toBe('██');
    expect(sparkline([]).line).toBe('');
  });

  it('takes the median of known values', () => {
    expect(medianOf([97, 99, 95])).toBe(97);
    expect(medianOf([96, 97, null, 98, 99])).toBe(97.5);
    expect(medianOf([null, undefined])).toBeUndefined();
  });
});

describe('button values', () => {
  it('round-trip and reject what they did not encode', () => {
    expect(decodePageValue(encodePageValue({ runDate: '2026-03-08', page: 3 }))).toEqual({
      runDate: '2026-03-08',
      page: 3,
    });
    for (const bad of [
      '',
      '2026-02-30|1',
      '2026-03-08|-1',
      '2026-03-08|1|2',
      "2026-03-08|1' or 1=1",
      'x'.repeat(3000),
      '{"runDate":"2026-02-30","page":1}',
      '{"runDate":"2026-03-08","page":-1}',
      '{"runDate":"2026-03-08","page":1.5}',
      '{"runDate":"2026-03-08","page":1,"extra":true}',
      'null',
    ]) {
      expect(decodePageValue(bad), bad).toBeUndefined();
    }
    expect(decodeHistoryPage(encodeHistoryPage({ page: 1, pageSize: 7, totalDays: 30 }))).toEqual({
      page: 1,
      pageSize: 7,
      totalDays: 30,
    });
    for (const bad of ['', '1|0|30', '1|7', 'a|b|c', '1|7|0', '{"page":1,"pageSize":0,"totalDays":30}'])
      expect(decodeHistoryPage(bad), bad).toBeUndefined();
  });
});

describe('slash command names', () => {
  it('are the three slash commands and /sched-snooze', () => {
    expect(SLASH_COMMANDS).toEqual(['/sched-status', '/sched-rerun', '/sched-history', '/sched-snooze']);
    expect(COMMANDS.rerun).toBe('/sched-rerun');
  });
});
