import { Writable } from 'node:stream';
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { queryOne } from '../../src/db/client.ts';
import { createLogger } from '../../src/logger.ts';
import { pageNight } from '../../src/scheduler/oncall-paging.ts';
import { postcheckStep } from '../../src/scheduler/postcheck-step.ts';
import { reconcile } from '../../src/scheduler/reconciler.ts';
import { remeasureNight } from '../../src/scheduler/refresh-night.ts';
import { runTrigger } from '../../src/scheduler/trigger.ts';
import { backends, type TestDatabase } from '../support/db.ts';
import { type FakePagerDuty, startFakePagerDuty } from '../support/fake-pagerduty.ts';
import { type ClockedDeps, clockedDeps, completeAllLive, seedSmallDemo } from '../support/scheduler-deps.ts';

const HEALTHY_NIGHT = '2026-03-02';
const FAILED_NIGHT = '2026-03-03';
const NOW = '2026-03-03T10:00:00Z';
const ROUTING_KEY = 'R0UT1NGKEY0123456789abcdefABCDEF';

/**
 * PagerDuty Events API v2 against a loopback server that checks the wire format: one trigger per
 * night that needs a person (however many postchecks run at once), nothing for a healthy one,
 * one resolve when a re-measure finds the night healthy; a failing endpoint never fails the
 * postcheck, is retried a bounded number of times, and the routing key is never logged.
 */
describe.each(backends())('PagerDuty paging on $name', (backend) => {
  let database: TestDatabase;
  let pd: FakePagerDuty;
  let deps: ClockedDeps;
  let logged = '';

  const pagerState = async (runDate: string) =>
    (
      await queryOne<{ pager_state: string | null }>(
        database.db,
        sql`select pager_state from night_pages where run_date = ${runDate}::date`,
      )
    )?.pager_state;

  beforeAll(async () => {
    database = await backend.create();
    pd = await startFakePagerDuty();
    const base = clockedDeps(database.db, NOW, {
      PAGERDUTY_ROUTING_KEY: ROUTING_KEY,
      PAGERDUTY_EVENTS_URL: pd.url,
    });
    const destination = new Writable({
      write(chunk, _encoding, done) {
        logged += String(chunk);
        done();
      },
    });
    deps = Object.assign(base, { logger: createLogger({ level: 'debug', destination }) });
    await seedSmallDemo(database.db);
    // A healthy night: everything answered and the jobs are closed.
    await runTrigger(deps, { runDate: HEALTHY_NIGHT, triggeredBy: 'test', scheduled: true });
    await completeAllLive(database.db, HEALTHY_NIGHT, deps.clock());
    // A night with failures: perplexity was rate limited all night, and Acme's openai calls failed.
    await runTrigger(deps, { runDate: FAILED_NIGHT, triggeredBy: 'test', scheduled: true });
    await database.db.execute(
      sql`update batch_tasks set status = 'failed', attempts = max_attempts, error_class = 'rate_limited',
                 completed_at = now()
          where run_date = ${FAILED_NIGHT}::date
            and (provider = 'perplexity'
                 or (provider = 'openai' and org_id = (select id from organizations where slug = 'acme-analytics')))`,
    );
    await completeAllLive(database.db, FAILED_NIGHT, deps.clock());
    await reconcile(database.db, deps.clock());
  });
  afterAll(async () => {
    await pd.close();
    await database.close();
  });

  it('sends nothing for a healthy night', async () => {
    const result = await postcheckStep(deps, { runDate: HEALTHY_NIGHT, triggeredBy: 'test' });
    expect(result.report.summary.overallHealth).toBe('HEALTHY');
    expect(result.paged).toBe('unchanged');
    expect(pd.events).toEqual([]);
    expect(await pagerState(HEALTHY_NIGHT)).toBeUndefined();
  });

  it('triggers once for a night that needs a person, however many postchecks run at once', async () => {
    const results = await Promise.all(
      [1, 2, 3].map(() => postcheckStep(deps, { runDate: FAILED_NIGHT, triggeredBy: 'test' })),
    );
    expect(results.map((r) => r.paged).sort()).toEqual(['triggered', 'unchanged', 'unchanged']);
    expect(pd.events.map((e) => e.status)).toEqual([202]);
    const [event] = pd.accepted();
    expect(event).toMatchObject({
      routing_key: ROUTING_KEY,
      event_action: 'trigger',
      dedup_key: `sched-bot-${FAILED_NIGHT}`,
      payload: { source: 'sched-bot', severity: 'error', custom_details: { missing_units: 67 } },
    });
    expect(String((event?.payload as { summary?: string } | undefined)?.summary)).toContain(
      `the ${FAILED_NIGHT} night needs attention: 67 missing units to act on (openai 25, perplexity 42), prompt coverage`,
    );
    // A later postcheck of the same night pages nobody again.
    await postcheckStep(deps, { runDate: FAILED_NIGHT, triggeredBy: 'test' });
    expect(pd.events).toHaveLength(1);
    expect(await pagerState(FAILED_NIGHT)).toBe('triggered');
  });

  it('resolves the same dedup_key once when a re-measure finds the night healthy', async () => {
    // Still broken: a re-measure resolves nothing.
    await remeasureNight(deps, { runDate: FAILED_NIGHT, triggeredBy: 'worker' });
    expect(pd.events).toHaveLength(1);
    await database.db.execute(
      sql`update batch_tasks set status = 'pending', attempts = 0
          where run_date = ${FAILED_NIGHT}::date and status = 'failed'`,
    );
    await completeAllLive(database.db, FAILED_NIGHT, deps.clock());
    const healthy = await remeasureNight(deps, { runDate: FAILED_NIGHT, triggeredBy: 'worker' });
    expect(healthy.summary.overallHealth).toBe('HEALTHY');
    await remeasureNight(deps, { runDate: FAILED_NIGHT, triggeredBy: 'worker' });
    expect(pd.accepted().map((e) => [e.event_action, e.dedup_key])).toEqual([
      ['trigger', `sched-bot-${FAILED_NIGHT}`],
      ['resolve', `sched-bot-${FAILED_NIGHT}`],
    ]);
    expect(pd.accepted()[1]).not.toHaveProperty('payload');
    expect(await pagerState(FAILED_NIGHT)).toBe('resolved');
  });

  it('retries 429 and 5xx a bounded number of times and never fails the postcheck', async () => {
    const broken = { ...(await postcheckStep(deps, { runDate: HEALTHY_NIGHT, triggeredBy: 'test' })).report };
    const report = {
      ...broken,
      runDate: '2026-03-01',
      summary: { ...broken.summary, overallHealth: 'NEEDS_ATTENTION' as const, actionable: 3 },
      units: { ...broken.units, missing: 3 },
    };
    const before = pd.events.length;
    pd.failNext(429, 2);
    expect(await pageNight(deps, { report: report, mayTrigger: true, retryDelayMs: 5 })).toBe('triggered');
    expect(pd.events.slice(before).map((e) => e.status)).toEqual([429, 429, 202]);

    // Three 500s: given up after three attempts, the claim handed back for the next postcheck.
    const next = { ...report, runDate: '2026-02-28' };
    pd.failNext(500, 3);
    expect(await pageNight(deps, { report: next, mayTrigger: true, retryDelayMs: 5 })).toBe('failed');
    expect(pd.events.slice(before + 3).map((e) => e.status)).toEqual([500, 500, 500]);
    expect(await pagerState('2026-02-28')).toBeNull();
    expect(await pageNight(deps, { report: next, mayTrigger: true, retryDelayMs: 5 })).toBe('triggered');

    // An unreachable endpoint: the postcheck step still records and returns.
    const down = {
      ...deps,
      config: {
        ...deps.config,
        pagerDuty: { routingKey: ROUTING_KEY, eventsUrl: 'http://127.0.0.1:9/v2/enqueue' },
      },
    };
    await database.db.execute(sql`delete from night_pages`);
    const result = await postcheckStep(down, { runDate: FAILED_NIGHT, triggeredBy: 'test' });
    expect(result.recorded).toBe(true);
    expect(logged).toContain('PagerDuty');
    expect(logged).not.toContain(ROUTING_KEY);
  }, 30_000);

  it('does not retry an event PagerDuty refuses (400)', async () => {
    const before = pd.events.length;
    const bad = {
      ...deps,
      config: { ...deps.config, pagerDuty: { routingKey: 'short', eventsUrl: pd.url } },
    };
    const measured = (await postcheckStep(deps, { runDate: HEALTHY_NIGHT, triggeredBy: 'test' })).report;
    const report = {
      ...measured,
      runDate: '2026-02-27',
      summary: { ...measured.summary, overallHealth: 'NEEDS_ATTENTION' as const, actionable: 3 },
      units: { ...measured.units, missing: 3 },
    };
    const result = { paged: await pageNight(bad, { report: report, mayTrigger: true, retryDelayMs: 5 }) };
    expect(result.paged).toBe('failed');
    expect(pd.events.slice(before).map((e) => e.status)).toEqual([400]);
    expect(logged).toContain("'routing_key' must be a 32 character string");
  });
});
