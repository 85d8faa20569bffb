import { webApi } from '@slack/bolt';
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { LocalWebApi } from '../../src/console/local-web-api.ts';
import type { Deps } from '../../src/context.ts';
import { queryRows } from '../../src/db/client.ts';
import { silentLogger } from '../../src/logger.ts';
import { createRepairRunner } from '../../src/report/repair-runner.ts';
import { postOrUpdateReport } from '../../src/report/report-poster.ts';
import { listHistory } from '../../src/scheduler/history.ts';
import { repairMissing } from '../../src/scheduler/repair.ts';
import { rerunOrg } from '../../src/scheduler/rerun.ts';
import { runDateOf } from '../../src/time/business-day.ts';
import { backends, type TestDatabase, truncateAll } from '../support/db.ts';
import { BOT_TOKEN, harnessConfig, nightWithFailures, REPORT_CHANNEL } from '../support/fake-slack.ts';
import { completeAllLive } from '../support/scheduler-deps.ts';
import { messageText } from '../support/slack-payloads.ts';

/** One report per night, and nothing left stale: against a real database and the Web API stand-in. */
describe.each(backends())('report freshness on $name', (backend) => {
  let database: TestDatabase;
  let api: LocalWebApi;
  let client: webApi.WebClient;
  let deps: Deps;
  let runDate: string;

  beforeAll(async () => {
    database = await backend.create();
    api = new LocalWebApi({ token: BOT_TOKEN });
    await api.start();
    client = new webApi.WebClient(BOT_TOKEN, { slackApiUrl: api.url, retryConfig: { retries: 0 } });
    deps = {
      db: database.db,
      config: harnessConfig(api.url),
      logger: silentLogger(),
      clock: () => new Date(),
    };
    runDate = runDateOf(deps.clock(), deps.config.timezone);
  });
  beforeEach(async () => {
    await truncateAll(database);
    api.calls.length = 0;
    api.messages.clear();
  });
  afterAll(async () => {
    await api?.stop();
    await database?.close();
  });

  const methods = () => api.calls.map((c) => c.method);

  it('ten concurrent report posts of one night post once and edit that message', async () => {
    const { report } = await nightWithFailures(deps, runDate);
    await Promise.all(
      Array.from({ length: 10 }, () => postOrUpdateReport({ ...deps, client }, { runDate, report })),
    );
    expect(methods().filter((m) => m === 'chat.postMessage')).toHaveLength(1);
    expect(methods().filter((m) => m === 'chat.update')).toHaveLength(9);
  });

  it('a repair with nothing to do leaves no "Repair started" state on the report', async () => {
    const { report } = await nightWithFailures(deps, runDate);
    const posted = await postOrUpdateReport({ ...deps, client }, { runDate, report });
    await repairMissing(deps, { runDate, triggeredBy: 'someone' });
    await completeAllLive(database.db, runDate, deps.clock());
    const runner = createRepairRunner({ ...deps, client }, { progressIntervalMs: 10 });
    const answers: string[] = [];
    const start = await runner.start({
      runDate,
      userId: 'U0ADMIN01',
      message: posted,
      answer: async (m) => {
        answers.push(messageText(m));
      },
    });
    expect(start.kind).toBe('started');
    const shown = api.message(REPORT_CHANNEL, String(posted?.ts));
    expect(messageText(shown)).not.toMatch(/Repair started/);
    expect(answers.join('\n')).toMatch(/Nothing to repair/);
    await runner.stop();
  });

  it('history counts repairs that enqueued work, apart from reruns', async () => {
    await nightWithFailures(deps, runDate);
    await repairMissing(deps, { runDate, triggeredBy: 'slack:U1' });
    await repairMissing(deps, { runDate, triggeredBy: 'slack:U2' }); // nothing left to enqueue
    const [org] = await queryRows<{ id: string }>(
      database.db,
      sql`select id from organizations where slug = 'acme-analytics'`,
    );
    await rerunOrg(deps, { runDate, orgId: String(org?.id), scope: 'missing', triggeredBy: 'slack:U3' });
    const [entry] = await listHistory(database.db, {
      days: 1,
      now: deps.clock(),
      timezone: deps.config.timezone,
    });
    expect(entry?.repairs).toEqual({ count: 1, by: ['slack:U1'] });
  });
});
