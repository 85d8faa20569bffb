import { describe, expect, it } from 'vitest';
import { ACTION_IDS, BLOCK_IDS } from '../../../src/blocks/ids.ts';
import { reportMessage } from '../../../src/blocks/report-message.ts';
import { decodePageValue } from '../../../src/blocks/values.ts';
import type { CoverageReport } from '../../../src/coverage/types.ts';
import { allText, checkBlockKitLimits } from '../../support/block-kit-limits.ts';
import { hugeReport, makeReport } from '../../support/report-factory.ts';
import { action, blocksOf, type Json, visibleText } from '../../support/view-inspect.ts';

const now = new Date('2026-03-08T12:00:00Z');

/** perplexity: 41 missing units, 39 rate_limited and 2 timeout; anthropic paused for auth. */
function reportWithCauses(): CoverageReport {
  const report = makeReport();
  report.providers = [
    {
      provider: 'openai',
      enabled: true,
      pausedUntil: null,
      pauseReason: null,
      expectedUnits: 500,
      succeededUnits: 500,
      missingUnits: 0,
      failuresByReason: {},
    },
    {
      provider: 'perplexity',
      enabled: true,
      pausedUntil: null,
      pauseReason: null,
      expectedUnits: 500,
      succeededUnits: 459,
      missingUnits: 41,
      failuresByReason: { rate_limited: 39, timeout: 2 },
    },
    {
      provider: 'anthropic',
      enabled: true,
      pausedUntil: '2026-03-08T20:00:00.000Z',
      pauseReason: 'auth: 401 invalid x-api-key <@U1>',
      expectedUnits: 0,
      succeededUnits: 0,
      missingUnits: 0,
      failuresByReason: {},
    },
    {
      provider: 'gemini',
      enabled: false,
      pausedUntil: null,
      pauseReason: null,
      expectedUnits: 0,
      succeededUnits: 0,
      missingUnits: 0,
      failuresByReason: {},
    },
  ];
  return report;
}

describe('reportMessage', () => {
  it('says which provider was taken out of service during the night, by whom, and how many units it cancelled', () => {
    const change = (i: number) => ({
      provider: 'openai',
      change: 'disabled' as const,
      at: '2026-03-08T07:20:00.000Z',
      by: 'U0DANA',
      cancelledUnits: 551 + i,
    });
    const report = { ...makeReport(), providerChanges: [change(0)] };
    expect(allText(reportMessage({ report, now }))).toContain(
      'openai disabled at 03:20 by <@U0DANA>: 551 units cancelled',
    );
    const many = { ...makeReport(), providerChanges: Array.from({ length: 40 }, (_, i) => change(i)) };
    const view = reportMessage({ report: many, now });
    expect(allText(view)).toContain('+35 more provider changes this night');
    expect(checkBlockKitLimits(view, 'message')).toEqual([]);
  });

  it('has a header with the date and health, and a top-level text that says the same', () => {
    const view = reportMessage({ report: makeReport(), now });
    const header = blocksOf(view)[0];
    expect(header?.type).toBe('header');
    expect(header?.text.text).toBe('Nightly run Sun, Mar 8, 2026 · ⚠️ Needs attention');
    expect(view.text).toMatch(
      /^Nightly run Sun, Mar 8, 2026: ⚠️ Needs attention\. [\d.]+% \(\d+\/\d+\) of prompts covered, below 95%\..* Prompts \d+(\.\d)?% \(\d+\/\d+\)/,
    );
    const healthy = reportMessage({ report: makeReport({ orgsMissing: 0 }), now });
    expect(blocksOf(healthy)[0]?.text.text).toContain('✅ Healthy');
  });

  it('shows every ratio as percent and numerator/denominator with the change against yesterday and the median', () => {
    const report = makeReport({ orgsMissing: 3, healthyOrgs: 5 });
    const previous = makeReport({ orgsMissing: 1, healthyOrgs: 7 });
    const view = reportMessage({ report, previous, median7: 97.5, now });
    const fields = blocksOf(view)
      .find((b) => b.fields)
      ?.fields.map((f: Json) => f.text) as string[];
    const r = report.ratios;
    expect(fields[0]).toContain(
      `*Prompts covered*\n${r.prompts.percent}% (${r.prompts.numerator}/${r.prompts.denominator})`,
    );
    expect(fields[1]).toContain(`${r.fullPrompts.numerator}/${r.fullPrompts.denominator}`);
    expect(fields[2]).toContain(`${r.units.numerator}/${r.units.denominator}`);
    expect(fields[3]).toContain(
      `*Orgs completed*\n${r.orgs.percent}% (${r.orgs.numerator}/${r.orgs.denominator})`,
    );
    const drop = Math.round((previous.ratios.prompts.percent - r.prompts.percent) * 10) / 10;
    expect(fields[0]).toContain(`▼ ${drop} pts vs yesterday`);
    expect(fields[0]).toMatch(/▼ [\d.]+ pts vs 7-night median 97.5%/);
    expect(fields.every((f) => f.includes('vs yesterday'))).toBe(true);
  });

  it('says nothing about yesterday when there is no yesterday', () => {
    expect(visibleText(reportMessage({ report: makeReport(), now }))).not.toContain('yesterday');
  });

  it('has one line per provider with its coverage, failure causes, pause reason and disabled state', () => {
    const text = visibleText(reportMessage({ report: reportWithCauses(), now }));
    expect(text).toContain('• *perplexity*: 91.8% (459/500) · 41 failed, 39 rate limited, 2 timed out');
    expect(text).toContain('• *openai*: 100% (500/500)');
    expect(text).toMatch(
      /• \*anthropic\*: .*⏸ paused until <!date\^\d+\^\{date_short_pretty\} \{time\}\|2026-03-08 16:00 EDT>: auth: 401 invalid x-api-key &lt;@U1&gt;/,
    );
    expect(text).toContain('• *gemini*: disabled');
  });

  it('lists missing prompts per org, worst first, with the prompts themselves on a small night', () => {
    const report = makeReport({
      orgsMissing: 2,
      uncoveredPerOrg: 1,
      partialPerOrg: 0,
      orgName: (i) => (i === 0 ? 'Small & Co' : 'Big <Corp>'),
    });
    // Give the second org more missing prompts: it must come first.
    const bigPrompt = report.incompletePrompts.find((p) => p.org_name === 'Big <Corp>');
    if (!bigPrompt) throw new Error('factory changed');
    const extra = { ...bigPrompt, id: 'extra', text: 'Another question' };
    report.incompletePrompts.push(extra);
    const text = visibleText(reportMessage({ report, now }));
    const big = text.indexOf('*Big &lt;Corp&gt;*: 2 prompts not fully covered (2 with no answer)');
    const small = text.indexOf('*Small &amp; Co*: 1 prompt not fully covered (1 with no answer)');
    expect(big).toBeGreaterThan(-1);
    expect(small).toBeGreaterThan(big);
    expect(text).toMatch(/❌ Another question — perplexity: rate limited, openai: [a-z ]+/);
  });

  it('with 1,000 orgs missing prompts shows the worst ten, says "+990 more" and offers Show all', () => {
    const report = hugeReport();
    const view = reportMessage({ report, now });
    expect(checkBlockKitLimits(view, 'message')).toEqual([]);
    const text = visibleText(view);
    // Perplexity misses in every org (23 % of its units) are one line; the list leaves them out.
    expect(text).toContain('🔥 *Perplexity*: 3,000 failures across 1,000 orgs');
    expect(text).toContain(
      '2,000 prompts not fully covered in 1,000 orgs · 3,000 more units under Perplexity above',
    );
    expect(text).toContain('+990 more orgs (1,980 prompts)');
    expect(text.match(/^• \*Org /gm)).toHaveLength(10);
    const showAll = action(view, ACTION_IDS.showAllMissing);
    expect(decodePageValue(showAll?.value)).toEqual({ runDate: report.runDate, page: 0 });
    // Names and prompts are escaped: no mention, channel ping or link survives.
    expect(allText(view)).not.toMatch(/<!channel>|<@U123>|<https:/);
  });

  it('has a danger Repair button whose confirm dialog shows the repair preview', () => {
    const view = reportMessage({
      report: makeReport(),
      repairPreview: { units: 161, orgs: 12, byProvider: { openai: 41, perplexity: 120 } },
      now,
    });
    const repair = action(view, ACTION_IDS.repair);
    expect(repair?.style).toBe('danger');
    expect(repair?.value).toBe('2026-03-08');
    expect(repair?.confirm.style).toBe('danger');
    expect(repair?.confirm.title.text).toBe('Repair 2026-03-08?');
    expect(repair?.confirm.text.text).toBe(
      'Re-run 161 missing units in 12 orgs?\nperplexity 120 · openai 41',
    );
    expect(blocksOf(view).find((b) => b.type === 'actions')?.block_id).toBe(BLOCK_IDS.reportActions);
  });

  it("without a preview, the confirm dialog counts the report's own missing units", () => {
    const report = makeReport();
    const repair = action(reportMessage({ report, now }), ACTION_IDS.repair);
    expect(repair?.confirm.text.text).toContain(`Re-run ${report.units.missing} missing units in 3 orgs?`);
  });

  it('has no Repair button when nothing is missing, or while a repair runs', () => {
    expect(
      action(reportMessage({ report: makeReport({ orgsMissing: 0 }), now }), ACTION_IDS.repair),
    ).toBeUndefined();
    const running = reportMessage({
      report: makeReport(),
      repair: { userId: 'U123', startedAt: now, units: 9, done: 1 },
      now,
    });
    expect(action(running, ACTION_IDS.repair)).toBeUndefined();
    expect(action(running, ACTION_IDS.openHistory)).toBeDefined();
  });

  it('offers Rerun org as static options of the orgs with missing prompts, or a typeahead past 100', () => {
    const small = action(
      reportMessage({ report: makeReport({ orgsMissing: 3 }), now }),
      ACTION_IDS.rerunOrgSelect,
    );
    expect(small?.type).toBe('static_select');
    expect(small?.options.map((o: Json) => o.text.text)).toEqual([
      'Org 0 (3 not fully covered)',
      'Org 1 (3 not fully covered)',
      'Org 2 (3 not fully covered)',
    ]);
    const huge = action(reportMessage({ report: hugeReport(), now }), ACTION_IDS.rerunOrgSelect);
    expect(huge?.type).toBe('external_select');
    expect(huge?.min_query_length).toBe(1);
    const none = action(
      reportMessage({ report: makeReport({ orgsMissing: 0 }), now }),
      ACTION_IDS.rerunOrgSelect,
    );
    expect(none?.type).toBe('external_select');
  });

  it('shows "Repair started by @user: N units" and progress while the repair runs', () => {
    const view = reportMessage({
      report: makeReport(),
      repair: {
        userId: 'U123',
        startedAt: new Date('2026-03-08T11:02:00Z'),
        units: 120,
        done: 30,
        failed: 2,
      },
      now,
    });
    const state = blocksOf(view).find((b) => b.block_id === BLOCK_IDS.repairState)?.text.text as string;
    expect(state).toContain('Repair started by <@U123>: 120 units');
    expect(state).toContain('<!date^1772967720^{date_short_pretty} {time}|2026-03-08 07:02 EDT>');
    expect(state).toContain('▓▓░░░░░░░░ 30/120 done, 2 failed');
    expect(view.text).toContain('Repair started by <@U123>: 120 units.');
  });

  it('shows the final coverage when the repair is done', () => {
    const report = makeReport({ orgsMissing: 0 });
    const view = reportMessage({
      report,
      repair: { userId: 'slack:U123', startedAt: now, units: 120, done: 120, failed: 1, finishedAt: now },
      now,
    });
    const state = blocksOf(view).find((b) => b.block_id === BLOCK_IDS.repairState)?.text.text as string;
    expect(state).toContain('✅ Repair by <@U123> finished');
    expect(state).toContain('120 units, 119 succeeded, 1 failed');
    expect(state).toContain(
      `Final coverage: prompts 100% (${report.ratios.prompts.numerator}/${report.ratios.prompts.denominator})`,
    );
    expect(view.text).toContain('Repair by <@U123> finished.');
  });

  it('escapes the actor when it is not a Slack user id', () => {
    const view = reportMessage({
      report: makeReport(),
      repair: { userId: '<!here> bob', startedAt: now, units: 1, done: 0 },
      now,
    });
    expect(checkBlockKitLimits(view, 'message')).toEqual([]);
    expect(view.text).toContain('`&lt;!here&gt; bob`');
  });

  it('is a pure function of its input', () => {
    const input = { report: hugeReport(), previous: makeReport(), median7: 96, now };
    expect(reportMessage(input)).toEqual(reportMessage(input));
  });
});
