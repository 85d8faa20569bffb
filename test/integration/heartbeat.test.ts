import { Writable } from 'node:stream';
import { DateTime } from 'luxon';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createLogger } from '../../src/logger.ts';
import { HEARTBEAT_TIMEOUT_MS, heartbeatUrl } from '../../src/paging/heartbeat-ping.ts';
import { postcheckStep } from '../../src/scheduler/postcheck-step.ts';
import { reconcile } from '../../src/scheduler/reconciler.ts';
import { schedulerTick } from '../../src/scheduler/scheduler-tick.ts';
import { runTrigger } from '../../src/scheduler/trigger.ts';
import { addDays } from '../../src/time/business-day.ts';
import { cliEnvironment, sched } from '../support/cli.ts';
import { backends, type TestDatabase, truncateAll } from '../support/db.ts';
import { type HeartbeatServer, startHeartbeatServer } from '../support/heartbeat-server.ts';
import { call, startOpsServer } from '../support/ops-server.ts';
import { type ClockedDeps, clockedDeps, completeAllLive, seedSmallDemo } from '../support/scheduler-deps.ts';

/**
 * HEARTBEAT_URL against a loopback monitor that records the pings: whichever process runs the
 * step (serve's tick, the HTTP endpoint, the CLI) pings `/start`, then the bare URL or `/fail`;
 * a monitor that fails or hangs never fails the step nor holds it up, and its token never reaches
 * a log line.
 */

const ZONE = 'America/New_York';
const RUN_DATE = '2026-03-09';
const local = (time: string) => DateTime.fromISO(`${RUN_DATE}T${time}`, { zone: ZONE }).toJSDate();

describe('heartbeatUrl', () => {
  it('appends the signal to the path, keeping a query string and ignoring a trailing slash', () => {
    expect(heartbeatUrl('https://hc.example/ping/abc', 'start')).toBe('https://hc.example/ping/abc/start');
    expect(heartbeatUrl('https://hc.example/ping/abc/', 'fail')).toBe('https://hc.example/ping/abc/fail');
    expect(heartbeatUrl('https://hc.example/ping/abc', 'success')).toBe('https://hc.example/ping/abc');
    expect(heartbeatUrl('https://hc.example/p/abc?rid=1', 'start')).toBe(
      'https://hc.example/p/abc/start?rid=1',
    );
  });
});

describe.each(backends())('heartbeat pings on $name', (backend) => {
  let database: TestDatabase;
  let monitor: HeartbeatServer;
  let logs: string[];
  let deps: ClockedDeps;
  const path = () => new URL(monitor.url).pathname;

  beforeAll(async () => {
    database = await backend.create();
    monitor = await startHeartbeatServer();
  });
  beforeEach(async () => {
    await truncateAll(database);
    await seedSmallDemo(database.db);
    monitor.pings.length = 0;
    monitor.answer = 'ok';
    logs = [];
    const destination = new Writable({
      write(chunk, _encoding, done) {
        logs.push(String(chunk));
        done();
      },
    });
    deps = clockedDeps(database.db, local('03:00'), { HEARTBEAT_URL: monitor.url });
    deps.logger = createLogger({ level: 'debug', destination });
  });
  afterAll(async () => {
    await monitor?.close();
    await database?.close();
  });

  it("serve's tick pings /start when it triggers, then the bare URL when the postcheck finds the night healthy", async () => {
    const tick = await schedulerTick(deps, { now: deps.clock() });
    expect(tick.trigger).toBe('ran');
    expect(monitor.pings).toEqual([`GET ${path()}/start`]);
    // A second instance's tick finds the trigger done: it does not ping again.
    await schedulerTick({ ...deps }, { now: deps.clock() });
    expect(monitor.pings).toHaveLength(1);

    await completeAllLive(database.db, RUN_DATE, deps.clock());
    await reconcile(database.db, deps.clock());
    deps.at.now = local('04:00');
    const later = await schedulerTick(deps, { now: deps.clock() });
    expect(later.postcheck).toBe('ran');
    expect(monitor.pings).toEqual([`GET ${path()}/start`, `GET ${path()}`]);
    expect(logs.join('')).not.toContain(monitor.token);
  });

  it('pings /fail when the postcheck finds a night that needs attention', async () => {
    await runTrigger(deps, { runDate: RUN_DATE, triggeredBy: 'test', scheduled: true });
    deps.at.now = local('04:00');
    const result = await postcheckStep(deps, { runDate: RUN_DATE, triggeredBy: 'test', scheduled: true });
    expect(result.report.summary.overallHealth).toBe('NEEDS_ATTENTION');
    expect(monitor.pings).toEqual([`GET ${path()}/start`, `GET ${path()}/fail`]);
  });

  it('says nothing about a past night: a backfill or a replay is not tonight', async () => {
    const yesterday = addDays(RUN_DATE, -1);
    const backfill = await runTrigger(deps, { runDate: yesterday, triggeredBy: 'test', scheduled: false });
    expect(backfill.status).toBe('triggered');
    await postcheckStep(deps, { runDate: yesterday, triggeredBy: 'test' });
    expect(monitor.pings).toEqual([]);
  });

  it('a monitor answering 500 leaves the step done, and the log names the signal, not the URL', async () => {
    monitor.answer = 'error';
    const result = await runTrigger(deps, { runDate: RUN_DATE, triggeredBy: 'test', scheduled: true });
    expect(result.status).toBe('triggered');
    expect(monitor.pings).toEqual([`GET ${path()}/start`]);
    const output = logs.join('');
    expect(output).toContain('heartbeat ping refused');
    expect(output).not.toContain(monitor.token);
  });

  it('a monitor that never answers holds the step up for the short timeout only', async () => {
    monitor.answer = 'hang';
    const started = performance.now();
    const result = await runTrigger(deps, { runDate: RUN_DATE, triggeredBy: 'test', scheduled: true });
    const elapsed = performance.now() - started;
    expect(result.status).toBe('triggered');
    expect(elapsed).toBeGreaterThanOrEqual(HEARTBEAT_TIMEOUT_MS - 50);
    expect(elapsed).toBeLessThan(HEARTBEAT_TIMEOUT_MS + 3_000);
    const output = logs.join('');
    expect(output).toContain('heartbeat ping failed');
    expect(output).not.toContain(monitor.token);
  });

  it('a monitor that is down (connection refused) leaves the step done', async () => {
    deps.config = { ...deps.config, heartbeatUrl: 'http://127.0.0.1:1/ping/refusedTok' };
    const result = await runTrigger(deps, { runDate: RUN_DATE, triggeredBy: 'test', scheduled: true });
    expect(result.status).toBe('triggered');
    expect(logs.join('')).not.toContain('refusedTok');
  });

  it('the HTTP endpoints ping too', async () => {
    const ops = await startOpsServer({
      ...deps,
      config: { ...deps.config, cronSecret: 'a-secret-of-16-chars' },
    });
    try {
      const secret = 'a-secret-of-16-chars';
      const trigger = await call(`${ops.url}/functions/v1/daily-batch-trigger`, { secret });
      expect(trigger.status).toBe(200);
      expect(monitor.pings).toEqual([`GET ${path()}/start`]);
      const postcheck = await call(`${ops.url}/functions/v1/scheduler-postcheck`, { secret });
      expect(postcheck.status).toBe(200);
      expect(monitor.pings).toEqual([`GET ${path()}/start`, `GET ${path()}/fail`]);
    } finally {
      await ops.close();
    }
  });
});

describe.each(backends())('heartbeat from the CLI on $name', (backend) => {
  let env: Record<string, string | undefined>;
  let close: () => Promise<void>;
  let monitor: HeartbeatServer;

  beforeAll(async () => {
    monitor = await startHeartbeatServer();
    ({ env, close } = await cliEnvironment(backend, {
      SIMULATED_PROFILE: 'ideal',
      HEARTBEAT_URL: monitor.url,
    }));
  });
  afterAll(async () => {
    await close?.();
    await monitor?.close();
  });

  it('`sched trigger` pings /start and `sched postcheck` pings /fail for a night still running', async () => {
    const path = new URL(monitor.url).pathname;
    expect((await sched(['seed', '--demo'], env)).code).toBe(0);
    expect((await sched(['trigger'], env)).code).toBe(0);
    expect(monitor.pings).toEqual([`GET ${path}/start`]);
    const postcheck = await sched(['postcheck'], env);
    expect(postcheck.stdout + postcheck.stderr).not.toContain(monitor.token);
    expect(monitor.pings).toEqual([`GET ${path}/start`, `GET ${path}/fail`]);
  });
});
