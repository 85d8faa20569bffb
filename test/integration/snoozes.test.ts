import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { queryOne, queryRows } from '../../src/db/client.ts';
import type { ProviderName } from '../../src/providers/types.ts';
import { claimableProviders, claimTasks } from '../../src/queue/claim-tasks.ts';
import { completeTasks } from '../../src/queue/complete-task.ts';
import type { NightReporter } from '../../src/scheduler/night-reporter.ts';
import { needsPerson, pageNight } from '../../src/scheduler/oncall-paging.ts';
import { measureCoverage } from '../../src/scheduler/postcheck.ts';
import { previewRepair, repairMissing } from '../../src/scheduler/repair.ts';
import { postOverSnoozes } from '../../src/scheduler/snooze-expiry.ts';
import { snoozeFromAsk } from '../../src/scheduler/snooze-request.ts';
import { endSnooze, type SnoozeRow } from '../../src/store/snoozes.ts';
import { backends } from '../support/db.ts';
import { type FakePagerDuty, startFakePagerDuty } from '../support/fake-pagerduty.ts';
import { clockedDeps, endNightWithFailures, nightFixture } from '../support/scheduler-deps.ts';

const RUN_DATE = '2026-03-02';
const T0 = new Date('2026-03-02T08:00:00Z');
const MORNING = '2026-03-02T09:10:00Z';
const PERPLEXITY_UNITS = 42;

/**
 * The snooze rules on both backends: snoozed units stay in the coverage figures and are reported
 * apart; Repair and paging leave them out; a provider inside a maintenance window gets no calls
 * (its tasks wait, no attempt spent); an until-success snooze ends with the scope's next stored
 * success; each snooze that is over gets its one line, however many instances tick at once.
 */
describe.each(backends())('snoozes on $name', (backend) => {
  describe('a night whose perplexity units all failed', () => {
    const night = nightFixture(backend, {
      trigger: { runDate: RUN_DATE, at: T0 },
      shape: (db) => endNightWithFailures(db, RUN_DATE, T0, 'perplexity', 'server'),
    });

    const snooze = async (ask: { provider?: string; org?: string; end: string; starts?: string }) => {
      const deps = clockedDeps(night.db, MORNING);
      const outcome = await snoozeFromAsk(deps, { ...ask, reason: 'maintenance', createdBy: 'U0DANA' });
      if (!outcome.ok) throw new Error(outcome.sentence);
      return outcome.snooze;
    };

    it('keeps snoozed units in the coverage figures and reports them apart', async () => {
      const deps = clockedDeps(night.db, MORNING);
      const before = await measureCoverage(deps, { runDate: RUN_DATE });
      await snooze({ provider: 'perplexity', end: '2h' });
      const after = await measureCoverage(deps, { runDate: RUN_DATE });
      expect(after.promptCoverage).toEqual(before.promptCoverage);
      expect(after.units).toEqual(before.units);
      expect(after.units.missing).toBe(PERPLEXITY_UNITS);
      expect(after.summary.actionable).toBe(0);
      expect(before.summary.actionable).toBe(PERPLEXITY_UNITS);
      expect(after.snoozed).toMatchObject([
        {
          scope: 'provider',
          provider: 'perplexity',
          reason: 'maintenance',
          by: 'U0DANA',
          units: PERPLEXITY_UNITS,
        },
      ]);
      expect(after.snoozed?.[0]?.until).toBe('2026-03-02T11:10:00.000Z');
    });

    it('leaves snoozed units out of Repair, and only those', async () => {
      const deps = clockedDeps(night.db, MORNING);
      const orgs = await queryRows<{ org_id: string; name: string; n: number }>(
        night.db,
        sql`select t.org_id, o.name, count(*)::int as n from batch_tasks t join organizations o on o.id = t.org_id
            where t.run_date = ${RUN_DATE}::date and t.status = 'failed' group by t.org_id, o.name order by n desc`,
      );
      const first = orgs[0];
      if (!first) throw new Error('no failed org');
      await snooze({ org: first.name, end: '06:00' });
      expect((await previewRepair(deps, { runDate: RUN_DATE })).units).toBe(PERPLEXITY_UNITS - first.n);
      const report = await measureCoverage(deps, { runDate: RUN_DATE });
      expect(report.summary.actionable).toBe(PERPLEXITY_UNITS - first.n);
      await snooze({ provider: 'perplexity', end: 'until-success' });
      expect((await previewRepair(deps, { runDate: RUN_DATE })).units).toBe(0);
      const repair = await repairMissing(deps, { runDate: RUN_DATE, triggeredBy: 'U1' });
      expect(repair.tasks).toBe(0);
    });

    describe('paging', () => {
      let pd: FakePagerDuty;
      beforeAll(async () => {
        pd = await startFakePagerDuty();
      });
      afterAll(() => pd.close());

      it('pages nobody for a night whose every missing unit is snoozed', async () => {
        const deps = clockedDeps(night.db, MORNING, {
          PAGERDUTY_ROUTING_KEY: 'R0UT1NGKEY0123456789abcdefABCDEF',
          PAGERDUTY_EVENTS_URL: pd.url,
        });
        await snooze({ provider: 'perplexity', end: '2h' });
        const report = await measureCoverage(deps, { runDate: RUN_DATE });
        expect(report.summary.overallHealth).toBe('NEEDS_ATTENTION');
        expect(needsPerson(report)).toBe(false);
        expect(await pageNight(deps, { report: report, mayTrigger: true, retryDelayMs: 1 })).toBe(
          'unchanged',
        );
        expect(pd.events).toHaveLength(0);
      });
    });

    it('ends an until-success snooze when its scope stores a success, not on a failure', async () => {
      const s = await snooze({ provider: 'perplexity', end: 'until-success' });
      const other = await snooze({ provider: 'openai', end: 'until-success' });
      // An until-success snooze does not hold the calls: it needs a success to end.
      await night.db.execute(
        sql`update batch_tasks set status = 'pending', available_at = now() - interval '1 minute', attempts = 0
            where run_date = ${RUN_DATE}::date and provider = 'perplexity' and status = 'failed'`,
      );
      const claimed = await claimPerplexity(night.db, 'w1', 2);
      expect(claimed).toHaveLength(2);
      const [failing, answering] = claimed as unknown as [
        { id: number; runDate: string },
        { id: number; runDate: string },
      ];
      const now = new Date(MORNING);
      await completeTasks(night.db, {
        workerId: 'w1',
        completions: [
          {
            taskId: failing.id,
            runDate: failing.runDate,
            now,
            outcome: { status: 'error', model: 'm', errorClass: 'server', message: 'x', latencyMs: 1 },
          },
        ],
      });
      expect(await endedBy(night.db, s.id)).toBeNull();
      await completeTasks(night.db, {
        workerId: 'w1',
        completions: [
          {
            taskId: answering.id,
            runDate: answering.runDate,
            now,
            outcome: { status: 'success', model: 'm', text: 'ok', tokensIn: 1, tokensOut: 1, latencyMs: 1 },
          },
        ],
      });
      expect(await endedBy(night.db, s.id)).toBe('success');
      expect(await endedBy(night.db, other.id)).toBeNull();
    });

    it('holds a provider inside a maintenance window: its tasks wait, no attempt spent', async () => {
      await night.db.execute(
        sql`update batch_tasks set status = 'pending', available_at = now() - interval '1 minute', attempts = 0
            where run_date = ${RUN_DATE}::date and provider = 'perplexity' and status = 'failed'`,
      );
      // A window that started a minute ago, on the database clock the claim reads.
      const row = await queryOne<{ now: Date }>(night.db, sql`select now() as now`);
      const dbNow = new Date(row?.now ?? Date.now());
      const deps = clockedDeps(night.db, dbNow);
      const outcome = await snoozeFromAsk(deps, {
        provider: 'perplexity',
        end: '2h',
        reason: 'vendor maintenance',
        createdBy: 'cli:dana',
      });
      if (!outcome.ok) throw new Error(outcome.sentence);
      expect(await claimableProviders(night.db, ['perplexity'])).toEqual([]);
      expect(await claimPerplexity(night.db, 'w1', 5)).toEqual([]);
      const waiting = await queryOne<{ pending: number; spent: number; failed: number }>(
        night.db,
        sql`select count(*) filter (where status = 'pending')::int as pending,
                   coalesce(sum(attempts), 0)::int as spent,
                   count(*) filter (where status = 'failed')::int as failed
            from batch_tasks where run_date = ${RUN_DATE}::date and provider = 'perplexity'`,
      );
      expect(waiting).toEqual({ pending: PERPLEXITY_UNITS, spent: 0, failed: 0 });
      // The window ends: the calls go out.
      await endSnooze(night.db, { id: outcome.snooze.id, endedBy: 'cli:dana', now: dbNow });
      expect(await claimPerplexity(night.db, 'w1', 5)).toHaveLength(5);
    });

    it('posts one line per snooze that is over, however many instances tick at once', async () => {
      const s = await snooze({ provider: 'perplexity', end: '2h' });
      const ended = await snooze({ provider: 'openai', end: '2h' });
      const posts: SnoozeRow[] = [];
      const reporter = {
        snoozeOver: async (row: SnoozeRow) => {
          posts.push(row);
          return { channel: 'C1', ts: `1.${posts.length}` };
        },
      } as unknown as NightReporter;
      const at = (iso: string) => ({
        ...clockedDeps(night.db, iso, { SLACK_REPORT_CHANNEL: 'C1' }),
        reporter,
      });
      // Nothing is over yet.
      expect(await postOverSnoozes(at(MORNING), { now: new Date(MORNING) })).toEqual([]);
      await endSnooze(night.db, { id: ended.id, endedBy: 'U0DANA', now: new Date('2026-03-02T09:20:00Z') });
      const later = new Date('2026-03-02T11:30:00Z');
      const rounds = await Promise.all(
        [1, 2, 3].map(() => postOverSnoozes(at(later.toISOString()), { now: later })),
      );
      expect(rounds.flat().sort()).toEqual([s.id, ended.id].sort());
      expect(posts.map((p) => p.id).sort()).toEqual([s.id, ended.id].sort());
      expect(await postOverSnoozes(at(later.toISOString()), { now: later })).toEqual([]);
      expect(posts.find((p) => p.id === ended.id)?.endedBy).toBe('U0DANA');
    });
  });
});

async function claimPerplexity(db: Parameters<typeof claimTasks>[0], workerId: string, limit: number) {
  const providers = [
    { name: 'perplexity' as ProviderName, rpm: 6000, maxConcurrency: 50, stalePauseReason: null },
  ];
  return (await claimTasks(db, { workerId, providers, limit, leaseSeconds: 60 })).tasks;
}

async function endedBy(db: Parameters<typeof claimTasks>[0], id: number) {
  const row = await queryOne<{ ended_by: string | null }>(
    db,
    sql`select ended_by from snoozes where id = ${id}`,
  );
  return row?.ended_by ?? null;
}
