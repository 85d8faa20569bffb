import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ACTION_IDS } from '../../src/blocks/ids.ts';
import { buildBlockAction } from '../../src/console/sign-request.ts';
import { queryOne } from '../../src/db/client.ts';
import { addDays } from '../../src/time/business-day.ts';
import { backends, type TestDatabase } from '../support/db.ts';
import {
  ADMIN,
  postedFailedNight,
  REPORT_CHANNEL,
  type SlackHarness,
  startSlackHarness,
} from '../support/fake-slack.ts';
import { messageText } from '../support/slack-payloads.ts';

/**
 * Issue 9: a Repair button value is whatever the client sends. An admin's signed click with a
 * forged date (1999-12-31 started 468 units dated 1999) or a future one gets one ephemeral
 * sentence, and nothing is written: no claim, no run row, no job, no task.
 */
describe.each(backends())('Repair click with a forged date on $name', (backend) => {
  let database: TestDatabase;
  let h: SlackHarness;
  let runDate: string;
  let reportTs: string;

  const counts = () =>
    queryOne<{ runs: number; jobs: number; tasks: number }>(
      database.db,
      sql`select (select count(*)::int from scheduler_runs) as runs,
                 (select count(*)::int from batch_jobs) as jobs,
                 (select count(*)::int from batch_tasks) as tasks`,
    );

  beforeAll(async () => {
    database = await backend.create();
    h = await startSlackHarness(database.db);
    ({ runDate, reportTs } = await postedFailedNight(h));
  });
  afterAll(async () => {
    await h?.stop();
    await database?.close();
  });

  const forged = (label: string, value: () => string, answer: RegExp) =>
    it(`answers a ${label} value with one ephemeral sentence and writes nothing`, async () => {
      const before = await counts();
      const url = h.api.responseUrl(label);
      const res = await h.send(
        buildBlockAction({
          actionId: ACTION_IDS.repair,
          value: value(),
          userId: ADMIN,
          responseUrl: url,
          container: { channelId: REPORT_CHANNEL, messageTs: reportTs },
        }),
      );
      expect(res.status).toBe(200);
      const reply = await h.api.waitFor((c) => c.method === 'response_url' && c.responseId === label);
      expect(reply.body.response_type).toBe('ephemeral');
      expect(messageText(reply.body)).toMatch(answer);
      expect(await counts()).toEqual(before);
      expect(h.api.message(REPORT_CHANNEL, reportTs)?.edits).toBe(0);
    });

  forged('1999', () => '1999-12-31', /No trigger ran for 1999-12-31/);
  forged('yesterday', () => addDays(runDate, -1), /No trigger ran for/);
  forged('future', () => addDays(runDate, 1), /future/);
});
