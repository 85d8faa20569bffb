import { describe, expect, it } from 'vitest';
import { LATE_NIGHT_WAIT_MINUTES, waitsForLateNight } from '../../src/scheduler/postcheck-wait.ts';

const due = new Date('2026-03-08T08:00:00Z'); // 04:00 in New York
const minutes = (m: number) => new Date(due.getTime() + m * 60_000);

describe('waitsForLateNight', () => {
  it('waits while a trigger that ran after the postcheck time still has live tasks', () => {
    const lateTrigger = minutes(33);
    expect(
      waitsForLateNight({
        triggerStartedAt: lateTrigger,
        postcheckDueAt: due,
        liveTasks: true,
        now: lateTrigger,
      }),
    ).toBe(true);
    expect(
      waitsForLateNight({
        triggerStartedAt: lateTrigger,
        postcheckDueAt: due,
        liveTasks: true,
        now: minutes(33 + LATE_NIGHT_WAIT_MINUTES - 1),
      }),
    ).toBe(true);
  });

  it('stops waiting when the night drained or the wait is over', () => {
    const lateTrigger = minutes(33);
    expect(
      waitsForLateNight({
        triggerStartedAt: lateTrigger,
        postcheckDueAt: due,
        liveTasks: false,
        now: minutes(40),
      }),
    ).toBe(false);
    expect(
      waitsForLateNight({
        triggerStartedAt: lateTrigger,
        postcheckDueAt: due,
        liveTasks: true,
        now: minutes(33 + LATE_NIGHT_WAIT_MINUTES),
      }),
    ).toBe(false);
  });

  it('never delays the postcheck of a night triggered on time', () => {
    expect(
      waitsForLateNight({ triggerStartedAt: minutes(-60), postcheckDueAt: due, liveTasks: true, now: due }),
    ).toBe(false);
    expect(
      waitsForLateNight({ triggerStartedAt: undefined, postcheckDueAt: due, liveTasks: false, now: due }),
    ).toBe(false);
  });
});
