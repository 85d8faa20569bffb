import { webApi } from '@slack/bolt';
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ACTION_IDS } from '../../src/blocks/ids.ts';
import { buildBlockAction } from '../../src/console/sign-request.ts';
import { queryRows } from '../../src/db/client.ts';
import { checkHealth } from '../../src/http/health.ts';
import { slackNightReporter } from '../../src/report/slack-night-reporter.ts';
import { alertLateSteps } from '../../src/scheduler/late-step-watch.ts';
import { addDays, runDateOf } from '../../src/time/business-day.ts';
import { backends, type TestDatabase } from '../support/db.ts';
import {
  ADMIN,
  BOT_TOKEN,
  OUTSIDER,
  REPORT_CHANNEL,
  type SlackHarness,
  startSlackHarness,
} from '../support/fake-slack.ts';
import { installedAt } from '../support/insert-rows.ts';
import { actionIds, messageText } from '../support/slack-payloads.ts';

/**
 * A past night that never ran gets one alert in the report channel with an Acknowledge button:
 * admins only, over signed HTTP to the real Bolt app; the acknowledgement is recorded with who
 * and /healthz stops flagging the night.
 */
describe.each(backends())('a missed night acknowledged from Slack on $name', (backend) => {
  let database: TestDatabase;
  let h: SlackHarness;
  let missed: string;
  let n = 0;

  async function click(userId: string) {
    const responseId = `ack${++n}`;
    const res = await h.send(
      buildBlockAction({
        actionId: ACTION_IDS.ackNight,
        value: missed,
        userId,
        responseUrl: h.api.responseUrl(responseId),
        container: { channelId: REPORT_CHANNEL, messageTs: '1.000001', isEphemeral: false },
      }),
    );
    expect(res.status).toBe(200);
    return h.api.waitFor((c) => c.responseId === responseId);
  }

  beforeAll(async () => {
    database = await backend.create();
    h = await startSlackHarness(database.db);
    const today = runDateOf(h.deps.clock(), h.deps.config.timezone);
    missed = addDays(today, -1);
    // Installed three days ago; the two nights before yesterday ran, yesterday did not.
    await installedAt(database.db, new Date(Date.now() - 3 * 86_400_000));
    for (const day of [addDays(today, -3), addDays(today, -2)]) {
      await database.db.execute(sql`
        insert into scheduler_runs (function_name, run_key, status, started_at, completed_at, triggered_by)
        values ('daily-batch-trigger', ${day}, 'completed', now(), now(), 'scheduler')`);
    }
  });
  afterAll(async () => {
    await h.stop();
    await database.close();
  });

  it('posts one alert with Acknowledge; an outsider is refused, an admin acknowledges it', async () => {
    const client = new webApi.WebClient(BOT_TOKEN, { slackApiUrl: h.api.url, retryConfig: { retries: 0 } });
    const deps = { ...h.deps, reporter: slackNightReporter({ ...h.deps, client }) };
    const posts = () =>
      h.api.callsTo('chat.postMessage').filter((c) => messageText(c.body).includes('Missed'));
    await alertLateSteps(deps, { now: h.deps.clock() });
    await alertLateSteps(deps, { now: h.deps.clock() });
    expect(posts()).toHaveLength(1);
    const alert = posts()[0]?.body ?? {};
    expect(alert.channel).toBe(REPORT_CHANNEL);
    expect(messageText(alert)).toContain(`sched trigger --date ${missed}`);
    expect(actionIds(alert)).toContain(ACTION_IDS.ackNight);

    const refused = await click(OUTSIDER);
    expect(messageText(refused.body)).toMatch(/acknowledge a missed night/);
    const none = await queryRows(database.db, sql`select 1 from night_acks`);
    expect(none).toHaveLength(0);

    const acked = await click(ADMIN);
    expect(messageText(acked.body)).toContain(`acknowledged by <@${ADMIN}>`);
    const rows = await queryRows<{ run_date: string; acked_by: string }>(
      database.db,
      sql`select run_date::text, acked_by from night_acks`,
    );
    expect(rows).toEqual([{ run_date: missed, acked_by: `slack:${ADMIN}` }]);
    const health = await checkHealth({ ...h.deps, workers: () => ({ expected: 0, alive: 0 }) });
    expect(health.missedNights).toBeUndefined();
  });
});
