import { describe, expect, it } from 'vitest';
import { ACTION_IDS, BLOCK_IDS } from '../../../src/blocks/ids.ts';
import { etaOf } from '../../../src/blocks/progress-blocks.ts';
import { statusMessage } from '../../../src/blocks/status-message.ts';
import type { NightProgress } from '../../../src/blocks/types.ts';
import { projectNight } from '../../../src/scheduler/night-projection.ts';
import { checkBlockKitLimits } from '../../support/block-kit-limits.ts';
import { hugeReport, longName, makeReport } from '../../support/report-factory.ts';
import { action, blocksOf, visibleText } from '../../support/view-inspect.ts';

const now = new Date('2026-03-08T08:00:00Z');

const progress: NightProgress = {
  runDate: '2026-03-08',
  startedAt: new Date('2026-03-08T07:00:00Z'),
  overall: { total: 1000, done: 400, failed: 12 },
  providers: [
    { provider: 'openai', total: 500, done: 300, failed: 0 },
    { provider: 'perplexity', total: 500, done: 100, failed: 12 },
  ],
  orgs: [
    { orgId: 'a', name: 'Acme & Sons', total: 100, done: 10, failed: 0 },
    { orgId: 'b', name: 'Done Corp', total: 50, done: 50, failed: 0 },
    { orgId: 'c', name: 'Globex', total: 200, done: 150, failed: 0 },
  ],
  ratePerMinute: 120,
};

describe('statusMessage', () => {
  it('shows health, coverage, and the live progress of a running night with rate and ETA', () => {
    const view = statusMessage({ report: makeReport({ livePending: 600 }), progress, now });
    expect(view.text).toMatch(/^Status of Sun, Mar 8, 2026: ⚠️ Needs attention\./);
    const text = visibleText(view);
    expect(text).toContain('*Progress* ▓▓▓▓░░░░░░ 40% · 400/1,000 done, 12 failed');
    expect(text).toContain('• *openai* ▓▓▓▓▓▓░░░░ 60% · 300/500 done');
    expect(text).toContain('• *perplexity* ▓▓░░░░░░░░ 20% · 100/500 done, 12 failed');
    expect(text).toContain('≈ 120 units/min');
    // 600 left at 120 per minute: five minutes after now.
    expect(text).toContain(
      `ETA <!date^${Date.parse('2026-03-08T08:05:00Z') / 1000}^{time}|2026-03-08 04:05 EDT>`,
    );
    expect(text).toContain('Most left: Acme &amp; Sons 90 left · Globex 50 left');
    expect(text).not.toContain('Done Corp');
  });

  it("shows the projected finish from each provider's pace and limit in place of the ETA", () => {
    // perplexity at its 50 rpm limit with 400 left: 8 minutes, past a postcheck 5 minutes away.
    const projection = projectNight({
      now,
      postcheckAt: new Date('2026-03-08T08:05:00Z'),
      providers: [
        {
          provider: 'openai',
          live: 200,
          finishedInWindow: 500,
          windowMinutes: 5,
          rpm: 500,
          pausedUntil: null,
        },
        {
          provider: 'perplexity',
          live: 400,
          finishedInWindow: 250,
          windowMinutes: 5,
          rpm: 50,
          pausedUntil: null,
        },
      ],
    });
    const view = statusMessage({
      report: makeReport({ livePending: 600 }),
      progress: { ...progress, projection },
      now,
    });
    const text = visibleText(view);
    expect(text).not.toContain('ETA');
    expect(text).toContain(
      `🐢 Will not finish before the <!date^${Date.parse('2026-03-08T08:05:00Z') / 1000}^{time}|2026-03-08 04:05 EDT> postcheck: about <!date^${Date.parse('2026-03-08T08:08:00Z') / 1000}^{time}|2026-03-08 04:08 EDT>; Perplexity at its 50 rpm limit holds it up`,
    );
    expect(checkBlockKitLimits(view, 'message')).toEqual([]);
    const early = projectNight({ ...{ now, postcheckAt: new Date('2026-03-08T08:30:00Z') }, providers: [] });
    expect(
      visibleText(
        statusMessage({
          report: makeReport({ livePending: 600 }),
          progress: { ...progress, projection: early },
          now,
        }),
      ),
    ).toContain('ETA');
  });

  it('has no ETA without a rate or with nothing left', () => {
    expect(etaOf({ ...progress, ratePerMinute: undefined }, now)).toBeUndefined();
    expect(etaOf({ ...progress, ratePerMinute: 0 }, now)).toBeUndefined();
    expect(etaOf({ ...progress, overall: { total: 5, done: 5, failed: 0 } }, now)).toBeUndefined();
  });

  it('without progress says when tasks are still live', () => {
    const text = visibleText(statusMessage({ report: makeReport({ livePending: 7 }), now }));
    expect(text).toContain('⏳ 7 tasks still pending or running');
  });

  it('lists only the failing providers, and the provider check results when given', () => {
    const view = statusMessage({
      report: makeReport({ pausedReason: 'rate limited (429)' }),
      providerChecks: [
        { provider: 'openai', ok: true, detail: 'answered in 230 ms' },
        { provider: 'perplexity', ok: false, detail: '401 invalid API key <script>' },
      ],
      now,
    });
    const text = visibleText(view);
    expect(text).toContain('*Providers needing a look*');
    expect(text).toMatch(/• \*perplexity\*: .* · ⏸ paused until .*: rate limited \(429\)/);
    expect(text).toContain(
      '*Verify all providers are accessible*\n✅ *openai*: answered in 230 ms\n❌ *perplexity*: 401 invalid API key &lt;script&gt;',
    );
  });

  it('says all is well when no provider needs a look', () => {
    const text = visibleText(statusMessage({ report: makeReport({ orgsMissing: 0 }), now }));
    expect(text).toContain('every enabled provider answered everything');
    expect(text).not.toContain('anthropic'); // disabled on purpose, not failing
  });

  it('has Repair, Repair options, Rerun org, History, Share to channel and Show all', () => {
    const view = statusMessage({ report: makeReport(), now });
    const actions = blocksOf(view)
      .find((b) => b.block_id === BLOCK_IDS.statusActions)
      ?.elements.map((e: { action_id: string }) => e.action_id);
    expect(actions).toEqual([
      ACTION_IDS.repair,
      ACTION_IDS.repairOptions,
      ACTION_IDS.rerunOrgSelect,
      ACTION_IDS.openHistory,
      ACTION_IDS.shareStatus,
      ACTION_IDS.showAllMissing,
    ]);
    expect(action(view, ACTION_IDS.shareStatus)?.value).toBe('2026-03-08');
    expect(action(view, ACTION_IDS.repair)?.confirm).toBeDefined();
  });

  it('with 1,000 orgs in progress and missing, stays within limits and says how many more', () => {
    const huge = {
      ...progress,
      orgs: Array.from({ length: 1000 }, (_, i) => ({
        orgId: String(i),
        name: longName(i),
        total: 10,
        done: 1,
        failed: 0,
      })),
    };
    const view = statusMessage({ report: hugeReport(), progress: huge, now });
    expect(checkBlockKitLimits(view, 'message')).toEqual([]);
    const text = visibleText(view);
    expect(text).toContain('+995 more orgs');
    // Perplexity misses in every org are one line above the list, which leaves them out.
    expect(text).toContain('🔥 *Perplexity*: 3,000 failures across 1,000 orgs');
    expect(text).toContain('+990 more orgs (1,980 prompts)');
  });
});
