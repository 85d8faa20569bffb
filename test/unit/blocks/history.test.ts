import { describe, expect, it } from 'vitest';
import { historyMessage } from '../../../src/blocks/history-message.ts';
import { ACTION_IDS, CALLBACK_IDS, OPEN_NIGHT_ACTION } from '../../../src/blocks/ids.ts';
import {
  missingPromptsModal,
  PROMPTS_PER_PAGE,
  pageCount,
} from '../../../src/blocks/missing-prompts-modal.ts';
import { runDetailModal } from '../../../src/blocks/run-detail-modal.ts';
import { decodeHistoryPage, decodePageValue } from '../../../src/blocks/values.ts';
import { checkBlockKitLimits } from '../../support/block-kit-limits.ts';
import { makeHistory } from '../../support/history-factory.ts';
import { hugeReport, makeReport } from '../../support/report-factory.ts';
import { action, actionsOf, blocksOf, type Json, visibleText } from '../../support/view-inspect.ts';

describe('historyMessage', () => {
  it('has one line per night with health, coverage, repairs and who ran them, and duration', () => {
    const view = historyMessage({
      entries: makeHistory(7),
      page: 0,
      pageSize: 7,
      totalDays: 14,
      timezone: 'America/New_York',
    });
    expect(checkBlockKitLimits(view, 'message')).toEqual([]);
    const sections = blocksOf(view).filter((b) => b.type === 'section');
    expect(sections).toHaveLength(7);
    const first = sections[0]?.text.text as string;
    expect(first).toMatch(
      /^✅ Healthy · \*Mon Mar 9\* · prompts 90% → 100% \(1,000\/1,000\) · orgs 100% \(25\/25\)\n/,
    );
    expect(first).toContain('🔧 2 repairs by <@U123ABC>, `cli:&lt;b&gt;&amp;`');
    expect(first).toContain('⏱ 1h 12m');
    expect(sections[3]?.text.text).toBe('▫️ no check recorded · *Fri Mar 6*\nnothing ran');
    expect(view.text).toMatch(
      /^Nightly history\. Nights 1–7 of the last 14 days, newest first: \d+ healthy, \d+ needing attention\.$/,
    );
  });

  it('opens a night from its Details button: one unique action id per night', () => {
    const view = historyMessage({ entries: makeHistory(7), page: 0, pageSize: 7, totalDays: 7 });
    const details = actionsOf(view).filter((a) => OPEN_NIGHT_ACTION.test(a.action_id));
    expect(details).toHaveLength(6); // the night with no check has nothing to open
    expect(details[0]).toMatchObject({ action_id: 'open_night:2026-03-09', value: '2026-03-09' });
  });

  it('pages with Older and Newer buttons that carry the next page', () => {
    const first = historyMessage({ entries: makeHistory(7), page: 0, pageSize: 7, totalDays: 30 });
    expect(action(first, ACTION_IDS.historyNewer)).toBeUndefined();
    expect(decodeHistoryPage(action(first, ACTION_IDS.historyOlder)?.value)).toEqual({
      page: 1,
      pageSize: 7,
      totalDays: 30,
    });
    const middle = historyMessage({ entries: makeHistory(7), page: 2, pageSize: 7, totalDays: 30 });
    expect(decodeHistoryPage(action(middle, ACTION_IDS.historyNewer)?.value)).toEqual({
      page: 1,
      pageSize: 7,
      totalDays: 30,
    });
    expect(visibleText(middle)).toContain('Nights 15–21 of the last 30 days');
    const last = historyMessage({ entries: makeHistory(2), page: 4, pageSize: 7, totalDays: 30 });
    expect(action(last, ACTION_IDS.historyOlder)).toBeUndefined();
    expect(action(last, ACTION_IDS.historyNewer)).toBeDefined();
  });

  it('says when nothing is recorded', () => {
    const view = historyMessage({ entries: [], page: 0, pageSize: 7, totalDays: 14 });
    expect(checkBlockKitLimits(view, 'message')).toEqual([]);
    expect(view.text).toBe('Nightly history. No nights recorded yet.');
  });

  it('with more nights than fit in one message says how many are not shown', () => {
    const view = historyMessage({ entries: makeHistory(60), page: 0, pageSize: 60, totalDays: 365 });
    expect(checkBlockKitLimits(view, 'message')).toEqual([]);
    expect(visibleText(view)).toContain('+20 more nights on this page');
  });
});

describe('runDetailModal', () => {
  it("shows a night's full postcheck", () => {
    const report = makeReport({ livePending: 3, overQuotaOrgs: 2 });
    const view = runDetailModal(report);
    expect(checkBlockKitLimits(view, 'modal')).toEqual([]);
    expect(view.title).toEqual({ type: 'plain_text', text: 'Night 2026-03-08' });
    expect((view as Json).callback_id).toBe(CALLBACK_IDS.runDetailModal);
    const text = visibleText(view);
    expect(text).toContain('*Sun, Mar 8, 2026* · ⚠️ Needs attention');
    expect(text).toContain('*Providers*');
    expect(text).toContain('Tasks: 0 completed, 0 failed, 0 running, 3 pending, 0 cancelled');
    expect(text).toContain('*Missing prompts by org*');
    expect(text).toContain('Over quota (reported, not expected): *Org 0* 15 past its quota of 25');
  });

  it('with 1,000 orgs lists 30, counts the rest and offers the full list', () => {
    const view = runDetailModal(hugeReport());
    expect(checkBlockKitLimits(view, 'modal')).toEqual([]);
    expect(visibleText(view)).toContain('+970 more orgs (2,910 prompts)');
    expect(action(view, ACTION_IDS.showAllMissing)).toBeDefined();
  });
});

describe('missingPromptsModal', () => {
  it('pages through every incomplete prompt exactly once, 50 per page', () => {
    const report = hugeReport();
    const pages = pageCount(report);
    expect(pages).toBe(Math.ceil(3000 / PROMPTS_PER_PAGE));
    const seen: string[] = [];
    for (let page = 0; page < pages; page++) {
      const view = missingPromptsModal({ report, page });
      expect(checkBlockKitLimits(view, 'modal')).toEqual([]);
      for (const match of visibleText(view).matchAll(/^(?:❌|◐) Prompt (\d+\.\d+) /gm))
        seen.push(match[1] as string);
    }
    expect(seen).toHaveLength(report.incompletePrompts.length);
    expect(new Set(seen).size).toBe(report.incompletePrompts.length);
  });

  it('says which prompts it shows and links the neighbouring pages', () => {
    const report = hugeReport();
    const view = missingPromptsModal({ report, page: 1 });
    expect(visibleText(view)).toContain(
      'Showing 51–100 of 3,000 prompts in 1,000 orgs, worst org first (page 2 of 60).',
    );
    expect(decodePageValue(action(view, ACTION_IDS.missingPagePrev)?.value)).toEqual({
      runDate: '2026-03-08',
      page: 0,
    });
    expect(decodePageValue(action(view, ACTION_IDS.missingPageNext)?.value)).toEqual({
      runDate: '2026-03-08',
      page: 2,
    });
    const last = missingPromptsModal({ report, page: 999 });
    expect(visibleText(last)).toContain('(page 60 of 60)');
    expect(action(last, ACTION_IDS.missingPageNext)).toBeUndefined();
  });

  it('escapes prompts and org names and cuts 3,000-character prompts to a preview', () => {
    const text = visibleText(missingPromptsModal({ report: hugeReport(), page: 0 }));
    expect(text).toContain('&lt;https://evil.example|click&gt;');
    expect(text).not.toMatch(/<https|<!channel>|<@U123>/);
    expect(Math.max(...text.split('\n').map((l) => l.length))).toBeLessThan(400);
  });

  it('says when every prompt is covered', () => {
    const view = missingPromptsModal({ report: makeReport({ orgsMissing: 0 }), page: 0 });
    expect(checkBlockKitLimits(view, 'modal')).toEqual([]);
    expect(visibleText(view)).toContain('Every prompt is fully covered.');
  });
});
