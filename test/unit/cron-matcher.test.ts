import fc from 'fast-check';
import { DateTime } from 'luxon';
import { createTask } from 'node-cron';
import { describe, expect, it } from 'vitest';
import { isDueToday } from '../../src/scheduler/scheduler-tick.ts';
import { runDateOf, runDateRange } from '../../src/time/business-day.ts';
import {
  cronExpressionProblem,
  cronMatches,
  isFireTime,
  lastFireOnRunDate,
  parseCron,
} from '../../src/time/cron-matcher.ts';

const NY = 'America/New_York';
const at = (iso: string) => DateTime.fromISO(iso, { zone: NY }).toJSDate();
const utc = (iso: string) => new Date(iso);

describe('parseCron and cronMatches', () => {
  it("reads node-cron's grammar: lists, ranges, wrap-around ranges, steps, names, 7 for Sunday, nicknames", () => {
    expect(parseCron('*/15 3-5,22 * * 1-5').canonical).toBe('0,15,30,45 3,4,5,22 * * 1,2,3,4,5');
    expect(parseCron('0 3 * * MON-FRI').canonical).toBe('0 3 * * 1,2,3,4,5');
    expect(parseCron('0 3 * jan,Mar-may sunday,7').canonical).toBe('0 3 * 1,3,4,5 0');
    expect(parseCron('0 22-2 * * FRI-MON').canonical).toBe('0 0,1,2,22,23 * * 0,1,5,6');
    expect(parseCron('0 3 ? * ?').canonical).toBe('0 3 * * *');
    expect(parseCron('@daily').canonical).toBe('0 0 * * *');
    expect(parseCron('5-1 * * * *').canonical).toMatch(/^0,1,5,6,7,.*,59 \* \* \* \*$/);
    for (const bad of [
      '* * * *',
      '61 * * * *',
      '* 24 * * *',
      '*/0 * * * *',
      'a b c d e',
      '0 3 31 2 *',
      '5/15 * * * *',
    ]) {
      expect(() => parseCron(bad)).toThrow();
      expect(cronExpressionProblem(bad)).toMatch(/^not a valid cron expression/);
    }
  });

  it('refuses, with the reason, what node-cron accepts but the catch-up does not read', () => {
    expect(cronExpressionProblem('0 0 3 * * *')).toMatch(/seconds field.*whole minutes/);
    for (const extra of ['0 3 L * *', '0 3 15W * *', '0 3 L-2 * *', '0 3 * * 5L', '0 3 * * 1#2']) {
      expect(cronExpressionProblem(extra)).toMatch(/L, W or #/);
    }
    expect(cronExpressionProblem('0 3 * * MON-FRI')).toBeUndefined();
  });

  it('matches day of week with 0, 7 and names all Sunday', () => {
    const sunday = DateTime.fromISO('2026-03-08T03:00', { zone: NY });
    expect(cronMatches(parseCron('0 3 * * 0'), sunday)).toBe(true);
    expect(cronMatches(parseCron('0 3 * * 7'), sunday)).toBe(true);
    expect(cronMatches('0 3 * * Sun', sunday)).toBe(true);
    expect(cronMatches(parseCron('0 3 * * 1-5'), sunday)).toBe(false);
    expect(cronMatches('0 3 * * MON-FRI', sunday)).toBe(false);
  });

  it("with both day fields restricted, both must match (node-cron's rule, not classic cron's either-or)", () => {
    const fields = parseCron('0 3 1 * 1'); // the 1st of the month when it is a Monday
    expect(cronMatches(fields, DateTime.fromISO('2026-03-01T03:00', { zone: NY }))).toBe(false); // a Sunday, the 1st
    expect(cronMatches(fields, DateTime.fromISO('2026-03-02T03:00', { zone: NY }))).toBe(false); // a Monday, the 2nd
    expect(cronMatches(fields, DateTime.fromISO('2026-06-01T03:00', { zone: NY }))).toBe(true); // Monday the 1st
    const nodeCron = createTask('0 3 1 * 1', () => undefined, { timezone: NY });
    expect(nodeCron.match(at('2026-03-01T03:00'))).toBe(false);
    expect(nodeCron.match(at('2026-06-01T03:00'))).toBe(true);
    nodeCron.destroy();
  });
});

describe('lastFireOnRunDate', () => {
  it('is undefined before the time, the fire instant after it', () => {
    expect(lastFireOnRunDate('0 3 * * *', '2026-03-02', at('2026-03-02T02:59'), NY)).toBeUndefined();
    expect(lastFireOnRunDate('0 3 * * *', '2026-03-02', at('2026-03-02T03:00'), NY)).toEqual(
      utc('2026-03-02T08:00:00Z'),
    );
    expect(lastFireOnRunDate('*/5 * * * *', '2026-03-02', at('2026-03-02T10:07'), NY)).toEqual(
      at('2026-03-02T10:05'),
    );
  });

  it('finds 03:00 on both DST days at the right instant (EDT on the 8th of March, EST on the 1st of November)', () => {
    expect(lastFireOnRunDate('0 3 * * *', '2026-03-08', at('2026-03-08T12:00'), NY)).toEqual(
      utc('2026-03-08T07:00:00Z'),
    );
    expect(lastFireOnRunDate('0 3 * * *', '2026-11-01', at('2026-11-01T12:00'), NY)).toEqual(
      utc('2026-11-01T08:00:00Z'),
    );
  });

  it('on the fall-back day, a time in the repeated hour fires twice; the last one counts', () => {
    expect(lastFireOnRunDate('30 1 * * *', '2026-11-01', utc('2026-11-01T05:45:00Z'), NY)).toEqual(
      utc('2026-11-01T05:30:00Z'), // 01:30 EDT
    );
    expect(lastFireOnRunDate('30 1 * * *', '2026-11-01', utc('2026-11-01T07:00:00Z'), NY)).toEqual(
      utc('2026-11-01T06:30:00Z'), // 01:30 EST
    );
  });

  it('never looks past the end of the run_date', () => {
    expect(lastFireOnRunDate('0 3 * * *', '2026-03-01', at('2026-03-05T12:00'), NY)).toEqual(
      at('2026-03-01T03:00'),
    );
  });
});

describe('isDueToday', () => {
  it('agrees with the fire instant on an ordinary day', () => {
    expect(isDueToday('0 3 * * *', '2026-03-02', at('2026-03-02T02:59'), NY)).toBe(false);
    expect(isDueToday('0 3 * * *', '2026-03-02', at('2026-03-02T03:00'), NY)).toBe(true);
    expect(isDueToday('0 4 * * *', '2026-03-02', at('2026-03-02T23:59'), NY)).toBe(true);
  });

  it('runs a time skipped by spring forward right after the jump (02:30 on 2026-03-08 does not exist)', () => {
    expect(lastFireOnRunDate('30 2 * * *', '2026-03-08', at('2026-03-08T12:00'), NY)).toBeUndefined();
    // node-cron never fires that day (the deliberate difference): no minute of it matches.
    const nodeCron = createTask('30 2 * * *', () => undefined, { timezone: NY });
    const { start, end } = runDateRange('2026-03-08', NY);
    for (let t = start.getTime(); t < end.getTime(); t += 60_000)
      expect(nodeCron.match(new Date(t))).toBe(false);
    nodeCron.destroy();
    expect(isDueToday('30 2 * * SUN', '2026-03-08', utc('2026-03-08T07:00:00Z'), NY)).toBe(true);
    expect(isDueToday('30 2 * * MON-FRI', '2026-03-08', utc('2026-03-08T07:00:00Z'), NY)).toBe(false);
    expect(isDueToday('30 2 * * *', '2026-03-08', utc('2026-03-08T06:59:00Z'), NY)).toBe(false); // 01:59 EST
    expect(isDueToday('30 2 * * *', '2026-03-08', utc('2026-03-08T07:00:00Z'), NY)).toBe(true); // 03:00 EDT
  });

  it('on the fall-back day, stays due through the repeated hour once its first occurrence passed', () => {
    expect(isDueToday('30 1 * * *', '2026-11-01', utc('2026-11-01T05:29:00Z'), NY)).toBe(false); // 01:29 EDT
    expect(isDueToday('30 1 * * *', '2026-11-01', utc('2026-11-01T05:30:00Z'), NY)).toBe(true); // 01:30 EDT
    expect(isDueToday('30 1 * * *', '2026-11-01', utc('2026-11-01T06:10:00Z'), NY)).toBe(true); // 01:10 EST
  });

  it('respects the day fields', () => {
    expect(isDueToday('0 3 * * 1', '2026-03-02', at('2026-03-02T05:00'), NY)).toBe(true); // Monday
    expect(isDueToday('0 3 * * 1', '2026-03-03', at('2026-03-03T05:00'), NY)).toBe(false); // Tuesday
  });
});

/**
 * node-cron fires the steps and this module answers for the catch-up: on random expressions of
 * node-cron's grammar and random minutes (many of them on the 2026 DST days of New York), both
 * must say the same thing about every minute.
 */
describe("agreement with node-cron's own matcher", () => {
  const DAY_NAMES = ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'];
  const FULL_DAY_NAMES = ['sunday', 'monday', 'tuesday', 'wednesday', 'thursday', 'friday', 'saturday'];
  const MONTH_NAMES = ['jan', 'feb', 'mar', 'apr', 'may', 'jun', 'jul', 'aug', 'sep', 'oct', 'nov', 'dec'];
  const anyCase = (word: string) =>
    fc.constantFrom(word, word.toUpperCase(), word[0]?.toUpperCase() + word.slice(1));

  /** A value of a field: a number, or (month and day of week) a name in any case; 7 is Sunday. */
  function value(min: number, max: number, names?: string[][]): fc.Arbitrary<string> {
    const numbers = fc.integer({ min, max }).map(String);
    if (!names) return numbers;
    const named = fc
      .constantFrom(...names)
      .chain((list) => fc.integer({ min: 0, max: list.length - 1 }).chain((i) => anyCase(list[i] ?? '')));
    return fc.oneof(numbers, named);
  }

  function field(min: number, max: number, names?: string[][]): fc.Arbitrary<string> {
    const single = value(min, max, names);
    const step = fc.integer({ min: 1, max: Math.max(2, Math.ceil((max - min) / 2)) });
    const part = fc.oneof(
      single,
      fc.tuple(single, single).map(([a, b]) => `${a}-${b}`), // wrap-around when a > b
      fc
        .tuple(fc.integer({ min, max }), fc.integer({ min, max }), step)
        .map(([a, b, n]) => (a <= b ? `${a}-${b}/${n}` : `${b}-${a}/${n}`)),
      step.map((n) => `*/${n}`),
    );
    return fc.oneof(
      { weight: 2, arbitrary: fc.constant('*') },
      {
        weight: 5,
        arbitrary: fc.array(part, { minLength: 1, maxLength: 3 }).map((parts) => parts.join(',')),
      },
    );
  }

  const expression = fc
    .tuple(
      field(0, 59),
      // Hours near the DST jumps (01:00-03:00) come up often enough to be tested.
      fc.oneof(field(0, 23), field(0, 4)),
      field(1, 31),
      field(1, 12, [MONTH_NAMES]),
      field(0, 7, [DAY_NAMES, FULL_DAY_NAMES]),
    )
    .map((fields) => fields.join(' '));

  // Mostly-daily expressions around the jump hours, so the skipped 02:xx of 2026-03-08 comes up often.
  const mostlyStar = (arbitrary: fc.Arbitrary<string>) =>
    fc.oneof({ weight: 3, arbitrary: fc.constant('*') }, { weight: 1, arbitrary });
  const nightly = fc
    .tuple(
      field(0, 59),
      field(1, 3),
      mostlyStar(field(1, 31)),
      mostlyStar(field(1, 12, [MONTH_NAMES])),
      mostlyStar(field(0, 7, [DAY_NAMES, FULL_DAY_NAMES])),
    )
    .map((fields) => fields.join(' '));

  const minute = (from: string, to: string) =>
    fc
      .integer({ min: Date.parse(from) / 60_000, max: Date.parse(to) / 60_000 })
      .map((m) => new Date(m * 60_000));
  // Both DST days of New York (spring forward 2026-03-08, fall back 2026-11-01), and any minute of 2026.
  const instant = fc.oneof(
    minute('2026-03-08T04:00:00Z', '2026-03-09T05:00:00Z'),
    minute('2026-11-01T03:00:00Z', '2026-11-02T06:00:00Z'),
    minute('2026-01-01T00:00:00Z', '2027-01-01T00:00:00Z'),
  );

  it('node-cron and the module accept the same expressions, and fire at the same minutes', () => {
    fc.assert(
      fc.property(expression, instant, (text, start) => {
        const task = createTaskOrProblem(text);
        const problem = cronExpressionProblem(text);
        if (typeof task === 'string') {
          expect(problem).toBeDefined();
          return;
        }
        expect(problem).toBeUndefined();
        try {
          // An hour of minutes from the random start: instants across a DST jump among them.
          let lastSeen: Date | undefined;
          for (let i = 0; i < 60; i++) {
            const when = new Date(start.getTime() + i * 60_000);
            const runDate = runDateOf(when, NY);
            if (lastSeen && runDateOf(lastSeen, NY) !== runDate) lastSeen = undefined;
            const fires = task.match(when);
            if (fires) lastSeen = when;
            expect(isFireTime(text, when, NY), `${text} at ${when.toISOString()}`).toBe(fires);
            // The last fire up to now: the minute itself when it fires, else the last one seen today.
            if (fires || i % 6 === 5) {
              const last = lastFireOnRunDate(text, runDate, when, NY);
              if (lastSeen) expect(last, `${text} up to ${when.toISOString()}`).toEqual(lastSeen);
              else expect(last === undefined || last < start).toBe(true);
            }
          }
        } finally {
          task.destroy();
        }
      }),
      { numRuns: 150 },
    );
  }, 300_000);

  it("isDueToday: node-cron fired earlier that day, or (spring-forward day only) a skipped time's wall clock passed", () => {
    fc.assert(
      fc.property(
        fc.oneof(expression, nightly),
        fc.oneof(minute('2026-03-08T07:00:00Z', '2026-03-09T05:00:00Z'), instant),
        (text, now) => {
          const task = createTaskOrProblem(text);
          if (typeof task === 'string') return;
          try {
            const runDate = runDateOf(now, NY);
            const { start } = runDateRange(runDate, NY);
            let fired = false;
            for (let t = start.getTime(); t <= now.getTime() && !fired; t += 60_000)
              fired = task.match(new Date(t));
            const due = isDueToday(text, runDate, now, NY);
            if (runDate === '2026-03-08' && !fired) {
              // The deliberate difference: due iff a wall-clock time up to now's matched (02:xx skipped).
              const local = DateTime.fromJSDate(now, { zone: NY });
              let wall = false;
              for (let m = 0; m <= local.hour * 60 + local.minute && !wall; m++) {
                const w = DateTime.fromObject(
                  { year: 2026, month: 3, day: 8, hour: Math.floor(m / 60), minute: m % 60 },
                  { zone: 'UTC' },
                );
                wall = cronMatches(text, w);
              }
              expect(due).toBe(wall);
            } else {
              expect(due, `${text} at ${now.toISOString()}`).toBe(fired);
            }
          } finally {
            task.destroy();
          }
        },
      ),
      { numRuns: 200 },
    );
  }, 300_000);
});

function createTaskOrProblem(text: string) {
  try {
    return createTask(text, () => undefined, { timezone: NY });
  } catch (error) {
    return (error as Error).message;
  }
}
