import { describe, expect, it } from 'vitest';
import { withSnoozes } from '../../src/coverage/snoozed-units.ts';
import type { ActiveSnooze } from '../../src/coverage/types.ts';
import { triggerEvent } from '../../src/scheduler/oncall-paging.ts';
import { makeReport } from '../support/report-factory.ts';

const snooze = (provider: ActiveSnooze['provider']): ActiveSnooze => ({
  id: 1,
  scope: 'provider',
  provider,
  orgId: null,
  orgName: null,
  startsAt: '2026-03-08T00:00:00Z',
  until: '2026-03-08T12:00:00Z',
  untilSuccess: false,
  reason: 'maintenance',
  by: 'U1',
});

describe('the PagerDuty trigger event', () => {
  it('quotes the units a person can act on, with the snoozed ones apart', () => {
    const report = makeReport();
    const all = triggerEvent(report);
    const missing = report.units.missing;
    expect(all.alert?.summary).toContain(`${missing} missing units to act on (`);
    expect(all.alert?.summary).not.toContain('snoozed');

    const provider = report.incompletePrompts[0]?.missingProviders[0]?.provider ?? 'openai';
    const snoozed = withSnoozes(report, [snooze(provider)]);
    const held = missing - (snoozed.summary.actionable ?? missing);
    expect(held).toBeGreaterThan(0);
    const event = triggerEvent(snoozed);
    expect(event.alert?.summary).toContain(`${missing - held} missing units to act on (`);
    expect(event.alert?.summary).toContain(`, ${held} more snoozed, prompt coverage`);
    expect(event.alert?.summary).not.toMatch(new RegExp(`\\(.*${provider} \\d+.*\\)`));
    expect(event.alert?.customDetails).toMatchObject({
      missing_units: missing,
      actionable_units: missing - held,
      snoozed_units: held,
    });
  });
});
