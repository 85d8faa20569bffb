import { describe, expect, it } from 'vitest';
import { historyMessage } from '../../../src/blocks/history-message.ts';
import { ACTION_IDS } from '../../../src/blocks/ids.ts';
import { reportMessage } from '../../../src/blocks/report-message.ts';
import { statusMessage } from '../../../src/blocks/status-message.ts';
import { formatCoverageReport } from '../../../src/blocks/text-report.ts';
import { MISSING_REASONS, reasonWords } from '../../../src/coverage/reason-words.ts';
import { makeHistory } from '../../support/history-factory.ts';
import { makeReport } from '../../support/report-factory.ts';
import { action, type Json, visibleText } from '../../support/view-inspect.ts';

/** Messages that add up: the words a newcomer reads agree with each other and say why. */

const now = new Date('2026-03-08T12:00:00Z');

describe('a healthy night with prompts still missing a provider', () => {
  // 41 orgs, one of them with 2 prompts that one provider missed: healthy, yet Repair is offered.
  const report = makeReport({ orgsMissing: 1, healthyOrgs: 40, uncoveredPerOrg: 0, partialPerOrg: 2 });

  it('says why it is healthy and why Repair is still there', () => {
    expect(report.summary.overallHealth).toBe('HEALTHY');
    for (const view of [reportMessage({ report, now }), statusMessage({ report, now })]) {
      const text = visibleText(view);
      expect(text).toContain(
        `Healthy: ${report.ratios.prompts.percent}% of prompts covered (≥ 95%), ${report.ratios.orgs.percent}% of orgs completed (≥ 95%) and every provider answered at least 95% of its units; 2 prompts still miss a provider: Repair re-runs them.`,
      );
      expect(action(view, ACTION_IDS.repair)).toBeDefined();
    }
  });

  it('says what falls short when the night needs attention', () => {
    const bad = makeReport({ orgsMissing: 3, healthyOrgs: 1 });
    const text = visibleText(reportMessage({ report: bad, now }));
    expect(text).toMatch(
      /Needs attention: [\d.]+% \(43\/49\) of prompts covered, below 95%; 75% \(3\/4\) of orgs completed, below 95%; openai answered [\d.]+% \(43\/49\) of its units, below 95%; perplexity answered [\d.]+% \(40\/49\) of its units, below 95%; 9 prompts miss a provider: Repair re-runs them\./,
    );
    const nothingMissing = visibleText(reportMessage({ report: makeReport({ orgsMissing: 0 }), now }));
    expect(nothingMissing).toContain(
      'Healthy: 100% of prompts covered (≥ 95%), 100% of orgs completed (≥ 95%) and every provider answered at least 95% of its units.',
    );
    expect(nothingMissing).not.toContain('Repair re-runs');
  });
});

describe('the org list and the Rerun menu', () => {
  it('use the same number and the same words', () => {
    const report = makeReport({
      orgsMissing: 1,
      uncoveredPerOrg: 21,
      partialPerOrg: 2,
      orgName: () => 'Acme',
    });
    const view = reportMessage({ report, now });
    const text = visibleText(view);
    expect(text).toContain('• *Acme*: 23 prompts not fully covered (21 with no answer, 2 partly covered)');
    const menu = action(view, ACTION_IDS.rerunOrgSelect);
    expect(menu?.options.map((o: Json) => o.text.text)).toEqual(['Acme (23 not fully covered)']);
  });
});

describe('history', () => {
  it('says "1 night in the last 14 days" for a single night, and plural words right', () => {
    const one = historyMessage({ entries: makeHistory(1), page: 0, pageSize: 7, totalDays: 1 });
    expect(visibleText(one)).toMatch(/1 night today: 1 (healthy|needing attention)\./);
    expect(visibleText(one)).not.toMatch(/Nights|1 days|newest first|Night 1 of/);
    const fresh = historyMessage({ entries: makeHistory(1), page: 0, pageSize: 7, totalDays: 14 });
    expect(visibleText(fresh)).toMatch(/1 night in the last 14 days: 1 (healthy|needing attention)\./);
    expect(visibleText(fresh)).not.toMatch(/, 0 /);
    const seven = historyMessage({ entries: makeHistory(7), page: 0, pageSize: 7, totalDays: 14 });
    expect(visibleText(seven)).toContain('Nights 1–7 of the last 14 days, newest first');
    const last = historyMessage({ entries: makeHistory(1), page: 2, pageSize: 7, totalDays: 15 });
    expect(visibleText(last)).toContain('Night 15 of the last 15 days');
  });
});

describe('reason codes', () => {
  it('have words of their own, one mapping used by every view and the CLI', () => {
    const words = MISSING_REASONS.map(reasonWords);
    expect(new Set(words).size).toBe(MISSING_REASONS.length);
    for (const w of words) expect(w).not.toMatch(/_/);
    expect(reasonWords('not_scheduled')).toBe('never queued');
    expect(reasonWords('rate_limited')).toBe('rate limited');
  });

  it('never show up raw in a report, a status or the CLI text', () => {
    const report = makeReport({ orgsMissing: 5, uncoveredPerOrg: 2, partialPerOrg: 1 });
    report.providers = report.providers.map((p) =>
      p.missingUnits > 0 ? { ...p, failuresByReason: { not_scheduled: 120, rate_limited: 3 } } : p,
    );
    for (const text of [
      visibleText(reportMessage({ report, now })),
      visibleText(statusMessage({ report, now })),
      formatCoverageReport(report),
    ]) {
      expect(text).not.toMatch(/not_scheduled|rate_limited|bad_request/);
      expect(text).toContain('never queued');
      expect(text).toContain('rate limited');
    }
    expect(visibleText(reportMessage({ report, now }))).toContain('120 never queued');
  });
});

describe('the runbook link', () => {
  const report = makeReport();
  const url = 'https://wiki.example.com/sched?page=runbook&x=1';
  it('is in the report and the status when RUNBOOK_URL is set, and absent otherwise', () => {
    for (const view of [
      reportMessage({ report, now, runbookUrl: url }),
      statusMessage({ report, now, runbookUrl: url }),
    ]) {
      expect(visibleText(view)).toContain(
        '📖 <https://wiki.example.com/sched?page=runbook&amp;x=1|Runbook>: what each health state means and what to try, in order',
      );
    }
    expect(visibleText(reportMessage({ report, now }))).not.toContain('Runbook');
    expect(visibleText(statusMessage({ report, now }))).not.toContain('Runbook');
  });
});
