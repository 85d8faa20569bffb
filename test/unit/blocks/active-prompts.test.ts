import { describe, expect, it } from 'vitest';
import { activePromptsLine } from '../../../src/blocks/active-prompts.ts';
import { reportMessage } from '../../../src/blocks/report-message.ts';
import { statusMessage } from '../../../src/blocks/status-message.ts';
import { formatCoverageReport } from '../../../src/blocks/text-report.ts';
import { makeReport } from '../../support/report-factory.ts';
import { visibleText } from '../../support/view-inspect.ts';

const now = new Date('2026-03-08T08:00:00Z');
const groups = { total: 275, expected: 180, org_not_eligible: 60, over_quota: 28, no_entitled_provider: 7 };
const LINE =
  '275 active prompts: 180 expected, 60 in orgs not active or trialing, 28 over quota, 7 in orgs without an entitled provider';

describe('the active-prompts line', () => {
  it('names every group so the runbook count reconciles with the expected prompts', () => {
    expect(activePromptsLine(makeReport({ activePrompts: groups }))).toBe(LINE);
  });

  it('leaves out the empty groups, and says "all expected" when nothing is excluded', () => {
    const some = { total: 200, expected: 190, org_not_eligible: 0, over_quota: 10, no_entitled_provider: 0 };
    expect(activePromptsLine(makeReport({ activePrompts: some }))).toBe(
      '200 active prompts: 190 expected, 10 over quota',
    );
    const all = { total: 1, expected: 1, org_not_eligible: 0, over_quota: 0, no_entitled_provider: 0 };
    expect(activePromptsLine(makeReport({ activePrompts: all }))).toBe('1 active prompt, all expected');
  });

  it('has no line for a report recorded before the groups existed, or with no active prompt', () => {
    expect(activePromptsLine(makeReport())).toBeUndefined();
    const none = { total: 0, expected: 0, org_not_eligible: 0, over_quota: 0, no_entitled_provider: 0 };
    expect(activePromptsLine(makeReport({ activePrompts: none }))).toBeUndefined();
  });

  it('appears in the morning report, /sched-status and the text report', () => {
    const report = makeReport({ activePrompts: groups });
    expect(visibleText(reportMessage({ report, now }))).toContain(LINE);
    expect(visibleText(statusMessage({ report, now }))).toContain(LINE);
    expect(formatCoverageReport(report)).toContain(`  ${LINE}\n`);
  });
});
