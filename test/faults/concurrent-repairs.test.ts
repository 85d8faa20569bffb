import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { ACTION_IDS } from '../../src/blocks/ids.ts';
import { buildBlockAction } from '../../src/console/sign-request.ts';
import type { Deps } from '../../src/context.ts';
import { queryOne } from '../../src/db/client.ts';
import { createProviderAdapters } from '../../src/providers/registry.ts';
import { startWorker } from '../../src/scheduler/worker.ts';
import { runDateOf } from '../../src/time/business-day.ts';
import { sharedBackends, type TestDatabase, truncateAll } from '../support/db.ts';
import {
  ADMIN,
  GROUP_ADMIN,
  nightWithFailures,
  REPORT_CHANNEL,
  startSlackHarness,
} from '../support/fake-slack.ts';
import { expectNightInvariants } from '../support/night-invariants.ts';
import { call, startOpsServer } from '../support/ops-server.ts';
import { DEMO_UNITS } from '../support/scheduler-deps.ts';
import { messageText, until } from '../support/slack-payloads.ts';
import { workerDeps } from '../support/worker-fixtures.ts';

/**
 * Ten operators asking for the same repair at the same instant, from Slack's Repair button and
 * from `?repair=true`: the missing units are enqueued once (one live task per unit), and once a
 * worker has run them every unit has exactly one success.
 */

const CLICKS = 10;
const SECRET = 'cron-secret-for-concurrent-repairs';
/** nightWithFailures: perplexity and one org's openai failed all night. */
const MISSING = 67;

describe.skipIf(sharedBackends().length > 0)('concurrent repairs', () => {
  it.skip('run on PostgreSQL: set TEST_DATABASE_URL', () => undefined);
});

describe.each(sharedBackends())('ten concurrent repairs on $name', (backend) => {
  let database: TestDatabase;
  beforeAll(async () => {
    database = await backend.create();
  });
  beforeEach(() => truncateAll(database));
  afterAll(() => database.close());

  const repairTasks = async (runDate: string) =>
    (
      await queryOne<{ n: number }>(
        database.db,
        sql`select count(*)::int as n from batch_tasks t join batch_jobs j on j.id = t.batch_job_id
            where t.run_date = ${runDate}::date and j.source = 'repair'`,
      )
    )?.n ?? 0;

  const runRepairs = async (deps: Deps) =>
    startWorker(deps, { adapters: createProviderAdapters(deps.config), concurrency: 8, drain: true }).done;

  it(`${CLICKS} Repair clicks at once start one repair`, async () => {
    const h = await startSlackHarness(database.db);
    try {
      const runDate = runDateOf(h.deps.clock(), h.deps.config.timezone);
      await nightWithFailures(h.deps, runDate);
      const clicks = Array.from({ length: CLICKS }, (_, i) =>
        buildBlockAction({
          actionId: ACTION_IDS.repair,
          value: runDate,
          userId: i % 2 === 0 ? ADMIN : GROUP_ADMIN,
          responseUrl: h.api.responseUrl(`click-${i}`),
          container: { channelId: REPORT_CHANNEL, messageTs: '1700000000.000100' },
        }),
      );
      const acks = await Promise.all(clicks.map((click) => h.send(click)));
      expect(acks.map((a) => a.status)).toEqual(clicks.map(() => 200));

      // Nine clicks are told who started the one repair; no worker runs yet, so it is still running.
      const alreadyRunning = () =>
        h.api.calls.filter((c) => c.method === 'response_url' && /already running/.test(messageText(c.body)));
      await until(async () => alreadyRunning().length >= CLICKS - 1);
      // "Already running" is said once the one repair is claimed, which may be before its
      // fan-out commits: wait for the tasks, then check there are no more than the misses.
      await until(async () => (await repairTasks(runDate)) >= MISSING);
      expect(await repairTasks(runDate)).toBe(MISSING);

      expect((await runRepairs(h.deps)).succeeded).toBe(MISSING);
      await expectNightInvariants(database.db, runDate, { expectedUnits: DEMO_UNITS });
      expect(new Set(alreadyRunning().map((c) => c.responseId)).size).toBe(CLICKS - 1);
    } finally {
      await h.stop();
    }
  });

  it(`${CLICKS} ?repair=true calls at once enqueue each missing unit once`, async () => {
    const deps = workerDeps(database.db, { CRON_SECRET: SECRET });
    const runDate = runDateOf(deps.clock(), deps.config.timezone);
    await nightWithFailures(deps, runDate);
    const server = await startOpsServer(deps);
    try {
      const answers = await Promise.all(
        Array.from({ length: CLICKS }, () =>
          call(`${server.url}/functions/v1/scheduler-postcheck?repair=true`, { secret: SECRET }),
        ),
      );
      for (const answer of answers) expect(answer.status, answer.text).toBe(200);
      const enqueued = answers.map((a) => Number(a.json.repair?.tasks ?? 0));
      expect(enqueued.reduce((sum, n) => sum + n, 0)).toBe(MISSING);
      expect(await repairTasks(runDate)).toBe(MISSING);

      expect((await runRepairs(deps)).succeeded).toBe(MISSING);
      await expectNightInvariants(database.db, runDate, { expectedUnits: DEMO_UNITS });
    } finally {
      await server.close();
    }
  });
});
