import { describe, expect, it } from 'vitest';
import { homeView } from '../../../src/blocks/home-view.ts';
import { ACTION_IDS, CALLBACK_IDS, OPEN_NIGHT_ACTION } from '../../../src/blocks/ids.ts';
import type { NightProgress } from '../../../src/blocks/types.ts';
import { checkBlockKitLimits } from '../../support/block-kit-limits.ts';
import { makeHistory } from '../../support/history-factory.ts';
import { hugeReport, makeReport } from '../../support/report-factory.ts';
import { action, actionsOf, type Json, visibleText } from '../../support/view-inspect.ts';

const now = new Date('2026-03-09T13:00:00Z');
const progress: NightProgress = {
  runDate: '2026-03-09',
  overall: { total: 100, done: 25, failed: 0 },
  providers: [{ provider: 'openai', total: 100, done: 25, failed: 0 }],
};

describe('homeView', () => {
  it('says which provider was taken out of service during the night, as the report does', () => {
    const report = {
      ...makeReport({ runDate: '2026-03-09' }),
      providerChanges: [
        {
          provider: 'openai',
          change: 'disabled' as const,
          at: '2026-03-09T07:20:00.000Z',
          by: 'U0DANA',
          cancelledUnits: 551,
        },
      ],
    };
    const view = homeView({ today: { runDate: '2026-03-09', report }, nights: [], now });
    expect(visibleText(view)).toContain('openai disabled at 03:20 by <@U0DANA>: 551 units cancelled');
    expect(checkBlockKitLimits(view, 'home')).toEqual([]);
  });

  it("shows today's result and the last 14 nights with a sparkline, oldest to newest", () => {
    const nights = makeHistory(14);
    const view = homeView({
      today: { runDate: '2026-03-09', report: makeReport({ runDate: '2026-03-09' }) },
      nights,
      now,
    });
    expect(checkBlockKitLimits(view, 'home')).toEqual([]);
    expect(view.type).toBe('home');
    expect((view as Json).callback_id).toBe(CALLBACK_IDS.homeTab);
    const text = visibleText(view);
    expect(text).toContain('*Today* · Mon, Mar 9, 2026 · ⚠️ Needs attention');
    const spark = text.match(/\*Last 14 nights\* `([^`]+)` prompt coverage, oldest → newest \((\d+)–100%\)/);
    expect(spark?.[1]).toHaveLength(14);
    // Newest night (100 %) is the last bar and full; the nights without a check are gaps.
    expect(spark?.[1]?.at(-1)).toBe('█');
    expect(spark?.[1]?.split('').filter((c) => c === '·')).toHaveLength(
      nights.filter((n) => n.health === null).length,
    );
    expect(text).toContain('✅ Healthy · *Mon Mar 9* · prompts 100% (1,000/1,000)');
    expect(actionsOf(view).filter((a) => OPEN_NIGHT_ACTION.test(a.action_id))).toHaveLength(
      nights.filter((n) => n.health !== null).length,
    );
  });

  it('shows the progress of a night that is still running', () => {
    const view = homeView({
      today: { runDate: '2026-03-09', progress },
      nights: makeHistory(3),
      now,
      timezone: 'America/New_York',
    });
    expect(checkBlockKitLimits(view, 'home')).toEqual([]);
    const text = visibleText(view);
    expect(text).toContain('*Today* · Mon, Mar 9, 2026 · running');
    expect(text).toContain('*Progress* ▓▓░░░░░░░░ 25% · 25/100 done');
  });

  it('says when nothing ran today and when no night is recorded', () => {
    const view = homeView({ today: { runDate: '2026-03-09' }, nights: [], now });
    expect(checkBlockKitLimits(view, 'home')).toEqual([]);
    const text = visibleText(view);
    expect(text).toContain('Nothing has run for today yet.');
    expect(text).toContain('*Last nights*: none recorded yet.');
    expect(action(view, ACTION_IDS.openHistory)).toBeDefined();
  });

  it('with more than 14 nights and 1,000 orgs missing shows 14, says how many older, and stays within limits', () => {
    const view = homeView({
      today: { runDate: '2026-03-08', report: hugeReport() },
      nights: makeHistory(60),
      now,
    });
    expect(checkBlockKitLimits(view, 'home')).toEqual([]);
    const text = visibleText(view);
    expect(text).toContain('+46 older nights: open *History*.');
    expect(text).toContain('+995 more orgs');
    expect(action(view, ACTION_IDS.showAllMissing)).toBeDefined();
  });
});
