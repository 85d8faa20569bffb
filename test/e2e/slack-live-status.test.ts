import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ACTION_IDS, CALLBACK_IDS } from '../../src/blocks/ids.ts';
import { encodePageValue } from '../../src/blocks/values.ts';
import { buildBlockAction, buildCommand } from '../../src/console/sign-request.ts';
import { queryRows } from '../../src/db/client.ts';
import { LIVE_UNITS_PER_ORG } from '../../src/scheduler/live-status.ts';
import { runTrigger } from '../../src/scheduler/trigger.ts';
import { runDateOf } from '../../src/time/business-day.ts';
import { backends, type TestDatabase } from '../support/db.ts';
import { ADMIN, type SlackHarness, startSlackHarness } from '../support/fake-slack.ts';
import { DEMO_UNITS, seedSmallDemo } from '../support/scheduler-deps.ts';
import { actionIds, messageText } from '../support/slack-payloads.ts';

/**
 * /sched-status while the night runs: figures from the task counts, marked provisional, the
 * first units of each org and "and N more", no health word (that is the postcheck's); "Show all"
 * pages every unit not answered yet in a modal, Previous / Next redrawing it.
 */

type View = { id?: string; callback_id?: string };

describe.each(backends())('/sched-status while the night runs on $name', (backend) => {
  let database: TestDatabase;
  let h: SlackHarness;
  let runDate: string;
  let n = 0;

  beforeAll(async () => {
    database = await backend.create();
    h = await startSlackHarness(database.db);
    runDate = runDateOf(h.deps.clock(), h.deps.config.timezone);
    await seedSmallDemo(h.deps.db);
    await runTrigger(h.deps, { runDate, triggeredBy: 'scheduler', scheduled: true });
    // Some of the night done: openai answered, two gemini units failed.
    await h.deps.db.execute(sql`update batch_tasks set status = 'completed', completed_at = now(), started_at = now()
                                where run_date = ${runDate}::date and provider = 'openai'`);
    await h.deps.db.execute(sql`update batch_tasks set status = 'failed', error_class = 'server', completed_at = now()
                                where id in (select id from batch_tasks where run_date = ${runDate}::date
                                             and provider = 'gemini' order by id limit 2)`);
  });
  afterAll(async () => {
    await h?.stop();
    await database?.close();
  });

  const leftByOrg = () =>
    queryRows<{ name: string; left: number }>(
      database.db,
      sql`select o.name, count(*)::int as left from batch_tasks t join organizations o on o.id = t.org_id
          where t.run_date = ${runDate}::date and t.status <> 'completed'
          group by o.name order by 2 desc, 1`,
    );

  it('lists the first units per org and "and N more", provisional, with Show all', async () => {
    const id = `live${++n}`;
    const res = await h.send(
      buildCommand({ command: '/sched-status', userId: ADMIN, responseUrl: h.api.responseUrl(id) }),
    );
    expect(res.status).toBe(200);
    const answer = await h.api.waitFor((c) => c.responseId === id);
    const text = messageText(answer.body);
    expect(text).toContain('provisional: the night is still running');
    expect(text).not.toMatch(/Healthy|Needs attention/);
    const orgs = await leftByOrg();
    const left = orgs.reduce((sum, o) => sum + o.left, 0);
    expect(left).toBe(DEMO_UNITS - 42);
    expect(text).toContain(`*Not answered yet*, most left first: ${left} units in ${orgs.length} orgs`);
    for (const org of orgs) {
      expect(text).toContain(`*${org.name}*: ${org.left} units not answered yet`);
      expect(text).toContain(`and ${org.left - LIVE_UNITS_PER_ORG} more`);
    }
    // Each org's first units, failed ones first, with their reason and prompt text.
    expect(text).toMatch(/◦ .+ — gemini: provider server error/);
    expect(text).toMatch(/◦ .+ — (anthropic|perplexity): still queued/);
    expect(text.match(/◦ /g)).toHaveLength(orgs.length * LIVE_UNITS_PER_ORG);
    expect(actionIds(answer.body)).toContain(ACTION_IDS.showAllLive);
  });

  it('Show all pages every unit not answered yet', async () => {
    const left = DEMO_UNITS - 42;
    const click = async (actionId: string, page: number, view?: View) => {
      const before = h.api.calls.length;
      const res = await h.send(
        buildBlockAction({
          actionId,
          value: encodePageValue({ runDate, page }),
          userId: ADMIN,
          responseUrl: h.api.responseUrl(`click${++n}`),
          container: view
            ? { channelId: 'C0OPS', view: { id: String(view.id), type: 'modal' } }
            : { channelId: 'C0OPS', messageTs: '1.000001', isEphemeral: true },
        }),
      );
      expect(res.status).toBe(200);
      return h.api.waitFor((c) => c.method === 'views.update' && c.seq > before);
    };
    const open = await click(ACTION_IDS.showAllLive, 0);
    const view = open.body.view as View;
    expect(view.callback_id).toBe(CALLBACK_IDS.liveUnitsModal);
    expect(messageText(view)).toContain(`Showing 1–50 of ${left} units not answered yet (page 1 of 2)`);
    expect(messageText(view).match(/◦ /g)).toHaveLength(50);
    const opened = open.response.view as View;
    const next = await click(ACTION_IDS.livePageNext, 1, opened);
    expect(next.body.view_id).toBe(opened.id);
    expect(messageText(next.body.view)).toContain(
      `Showing 51–${left} of ${left} units not answered yet (page 2 of 2)`,
    );
    expect(messageText(next.body.view).match(/◦ /g)).toHaveLength(left - 50);
  });
});
