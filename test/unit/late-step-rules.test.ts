import { DateTime } from 'luxon';
import { describe, expect, it } from 'vitest';
import { lateStepMessage } from '../../src/blocks/late-step-message.ts';
import { LATE_AFTER_MINUTES, lateSteps, type StepStatuses } from '../../src/scheduler/late-step-rules.ts';

const zone = 'America/New_York';
const cron = { trigger: '0 3 * * *', postcheck: '0 4 * * *' };
const at = (iso: string) => DateTime.fromISO(iso, { zone }).toJSDate();
const none: StepStatuses = { trigger: null, postcheck: null };
const steps = (now: Date, statuses: StepStatuses = none) =>
  lateSteps({ cron, zone, now, statuses }).map((l) => ({ step: l.step, dueAt: l.dueAt.toISOString() }));

describe('lateSteps', () => {
  it('is not late before the cron time plus 15 minutes, and late from then on', () => {
    expect(LATE_AFTER_MINUTES).toBe(15);
    expect(steps(at('2026-06-10T03:14:59'))).toEqual([]);
    expect(steps(at('2026-06-10T03:15:00'))).toEqual([
      { step: 'trigger', dueAt: '2026-06-10T07:00:00.000Z' },
    ]);
    expect(steps(at('2026-06-10T04:15:00'))).toEqual([
      { step: 'trigger', dueAt: '2026-06-10T07:00:00.000Z' },
      { step: 'postcheck', dueAt: '2026-06-10T08:00:00.000Z' },
    ]);
  });

  it('a trigger that started (running or completed) is not late; a failed or skipped one is', () => {
    const now = at('2026-06-10T03:30:00');
    expect(steps(now, { trigger: 'running', postcheck: null })).toEqual([]);
    expect(steps(now, { trigger: 'completed', postcheck: null })).toEqual([]);
    expect(steps(now, { trigger: 'failed', postcheck: null }).map((l) => l.step)).toEqual(['trigger']);
    expect(steps(now, { trigger: 'skipped', postcheck: null }).map((l) => l.step)).toEqual(['trigger']);
  });

  it('a postcheck is late until it has finished: a running one still is', () => {
    const now = at('2026-06-10T04:20:00');
    const started = { trigger: 'completed', postcheck: 'running' };
    expect(steps(now, started).map((l) => l.step)).toEqual(['postcheck']);
    expect(steps(now, { trigger: 'completed', postcheck: 'completed' })).toEqual([]);
  });

  it('on the spring-forward day 03:00 is 07:00 UTC, so the trigger is late at 07:15 UTC', () => {
    // 2026-03-08: clocks jump from 02:00 to 03:00 EDT (UTC-4).
    expect(steps(new Date('2026-03-08T07:14:00Z'))).toEqual([]);
    expect(steps(new Date('2026-03-08T07:15:00Z'))).toEqual([
      { step: 'trigger', dueAt: '2026-03-08T07:00:00.000Z' },
    ]);
  });

  it('on the fall-back day 03:00 is 08:00 UTC (EST), not 07:00', () => {
    // 2026-11-01: 01:00-02:00 happens twice; 03:00 is EST (UTC-5).
    expect(steps(new Date('2026-11-01T07:30:00Z'))).toEqual([]);
    expect(steps(new Date('2026-11-01T08:15:00Z'))).toEqual([
      { step: 'trigger', dueAt: '2026-11-01T08:00:00.000Z' },
    ]);
  });

  it('a cron time the spring-forward day never had is due once the wall clock passed it', () => {
    // 02:30 does not exist on 2026-03-08; the catch-up runs the step after the jump, at 03:30 EDT.
    const skipped = { trigger: '30 2 * * *', postcheck: '0 4 * * *' };
    const late = (now: string) =>
      lateSteps({ cron: skipped, zone, now: at(now), statuses: none }).map((l) => l.dueAt.toISOString());
    expect(late('2026-03-08T03:44:00')).toEqual([]);
    expect(late('2026-03-08T03:45:00')).toEqual(['2026-03-08T07:30:00.000Z']);
  });

  it("looks at today only: after midnight, yesterday's missing postcheck is not late", () => {
    expect(steps(at('2026-06-11T00:30:00'))).toEqual([]);
  });
});

describe('lateStepMessage', () => {
  it('says which step of which night is late, since when, and what to run', async () => {
    const late = {
      step: 'postcheck' as const,
      runDate: '2026-03-08',
      dueAt: new Date('2026-03-08T08:00:00Z'),
    };
    const message = lateStepMessage(late, zone, new Date('2026-03-08T08:20:00Z'));
    expect(message.text).toContain('⏰ Late: the postcheck of Sun, Mar 8, 2026 has not finished');
    expect(message.text).toContain('20 minutes ago');
    expect(message.text).toContain('`sched postcheck`');
    expect(message.blocks).toHaveLength(1);
  });
});
