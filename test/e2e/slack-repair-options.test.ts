import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  ACTION_IDS,
  BLOCK_IDS,
  CALLBACK_IDS,
  EVERY_PROVIDER,
  REPAIR_CONFIRM_FRESH,
} from '../../src/blocks/ids.ts';
import { buildBlockAction, buildViewSubmission } from '../../src/console/sign-request.ts';
import { queryRows } from '../../src/db/client.ts';
import { backends, type TestDatabase } from '../support/db.ts';
import {
  ADMIN,
  OUTSIDER,
  postedFailedNight,
  REPORT_CHANNEL,
  type SlackHarness,
  startSlackHarness,
} from '../support/fake-slack.ts';
import { actionIds, messageText } from '../support/slack-payloads.ts';

/**
 * "Repair options…" on the report: the modal states what each scope enqueues (units per provider,
 * cost), a submission repairs only that scope and provider through the Repair button's runner,
 * a non-admin is refused in the modal, and a form without a scope is answered in the modal.
 */
describe.each(backends())('Repair options from the report on $name', (backend) => {
  let database: TestDatabase;
  let h: SlackHarness;
  let runDate: string;
  let reportTs: string;

  const repairTasks = () =>
    queryRows<{ provider: string; n: number }>(
      database.db,
      sql`select t.provider, count(*)::int as n from batch_tasks t join batch_jobs j on j.id = t.batch_job_id
          where j.run_date = ${runDate}::date and j.source = 'repair' group by t.provider order by t.provider`,
    );
  const open = (userId: string) =>
    buildBlockAction({
      actionId: ACTION_IDS.repairOptions,
      value: runDate,
      userId,
      responseUrl: h.api.responseUrl(`open-${userId}`),
      container: { channelId: REPORT_CHANNEL, messageTs: reportTs },
    });
  const submit = (
    userId: string,
    units: string | undefined,
    provider: string,
    privateMetadata: string,
    confirmFresh = false,
  ) =>
    buildViewSubmission({
      callbackId: CALLBACK_IDS.repairModal,
      userId,
      privateMetadata,
      values: {
        [BLOCK_IDS.repairModalScope]: {
          [ACTION_IDS.repairModalScope]: {
            type: 'radio_buttons',
            selected_option: units ? { value: units } : null,
          },
        },
        [BLOCK_IDS.repairModalProvider]: {
          [ACTION_IDS.repairModalProvider]: { type: 'static_select', selected_option: { value: provider } },
        },
        [BLOCK_IDS.repairModalConfirm]: {
          [ACTION_IDS.repairModalConfirm]: {
            type: 'checkboxes',
            selected_options: confirmFresh ? [{ value: REPAIR_CONFIRM_FRESH }] : [],
          },
        },
      },
    });

  beforeAll(async () => {
    database = await backend.create();
    h = await startSlackHarness(database.db);
    ({ runDate, reportTs } = await postedFailedNight(h));
  });
  afterAll(async () => {
    await h?.stop();
    await database?.close();
  });

  it('shows the button next to Repair on the report', () => {
    expect(actionIds(h.api.message(REPORT_CHANNEL, reportTs))).toEqual(
      expect.arrayContaining([ACTION_IDS.repair, ACTION_IDS.repairOptions]),
    );
  });

  it('refuses a non-admin in the modal and enqueues nothing', async () => {
    const before = h.api.calls.length;
    expect((await h.send(open(OUTSIDER))).status).toBe(200);
    const filled = await h.api.waitFor((c) => c.method === 'views.update' && c.seq > before);
    expect(messageText(filled.body)).toContain(`Only <@${ADMIN}>`);
    expect(await repairTasks()).toEqual([]);
  });

  it("states each scope's units and cost, then repairs only the failed openai units", async () => {
    const before = h.api.calls.length;
    expect((await h.send(open(ADMIN))).status).toBe(200);
    const filled = await h.api.waitFor((c) => c.method === 'views.update' && c.seq > before);
    const text = messageText(filled.body);
    expect(text).toContain('*Missing units*: 67 units in 5 orgs (perplexity 42 · openai 25), estimated cost');
    expect(text).toContain(
      '*Failed units only*: 67 units in 5 orgs (perplexity 42 · openai 25), estimated cost',
    );
    expect(text).toMatch(/\*Every unit again\*: 118 units in \d+ orgs \(.*\), estimated cost/);
    const metadata = String((filled.body.view as { private_metadata: string }).private_metadata);

    // A form without a scope is answered in the modal, inside the ack.
    const refused = await h.send(submit(ADMIN, undefined, EVERY_PROVIDER, metadata));
    expect(refused.json).toEqual({
      response_action: 'errors',
      errors: { [BLOCK_IDS.repairModalScope]: 'Pick which units.' },
    });
    expect(await repairTasks()).toEqual([]);

    expect((await h.send(submit(ADMIN, 'failed', 'openai', metadata))).status).toBe(200);
    await h.api.waitFor(
      (c) =>
        c.method === 'chat.update' &&
        c.body.ts === reportTs &&
        messageText(c.body).includes('Repair started by'),
    );
    expect(await repairTasks()).toEqual([{ provider: 'openai', n: 25 }]);
  });

  describe('on a night that already had fresh answers', () => {
    // A night of its own: the repair the tests above started would answer "already running".
    beforeAll(async () => {
      await h.stop();
      await database.close();
      database = await backend.create();
      h = await startSlackHarness(database.db);
      ({ runDate, reportTs } = await postedFailedNight(h));
    });

    /** The first call after the `from`th that matches, whether it came already or comes later. */
    const posted = async (from: number, match: (call: (typeof h.api.calls)[number]) => boolean) => {
      for (let waited = 0; waited < 20_000; waited += 100) {
        const found = h.api.calls.slice(from).find(match);
        if (found) return found;
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
      throw new Error('no matching Slack Web API call within 20 s');
    };

    it('asks a person to confirm a second "every unit" repair of a night that already had fresh answers', async () => {
      // A manual run (every unit again) already asked this night for fresh answers; it has ended.
      await database.db.execute(sql`
        insert into batch_jobs (org_id, run_date, source, status, triggered_by, total_tasks)
        select org_id, run_date, 'manual', 'completed', 'cli:dana', 1 from batch_jobs
        where run_date = ${runDate}::date order by created_at limit 1`);
      const before = h.api.calls.length;
      expect((await h.send(open(ADMIN))).status).toBe(200);
      const filled = await h.api.waitFor((c) => c.method === 'views.update' && c.seq > before);
      expect(messageText(filled.body)).toContain('Run it even if this night already had fresh answers');
      const metadata = String((filled.body.view as { private_metadata: string }).private_metadata);
      const allTasks = () =>
        queryRows<{ n: number }>(
          database.db,
          sql`select count(*)::int as n from batch_tasks t join batch_jobs j on j.id = t.batch_job_id
              where j.run_date = ${runDate}::date and j.source = 'repair' and j.metadata->>'freshAnswers' = 'true'`,
        );

      const sent = h.api.calls.length;
      expect((await h.send(submit(ADMIN, 'all', EVERY_PROVIDER, metadata))).status).toBe(200);
      const refusal = await posted(sent, (c) => messageText(c.body).includes('already had fresh answers'));
      expect(messageText(refusal.body)).toContain('a manual run of every unit by cli:dana');
      expect(messageText(refusal.body)).toContain(
        'tick "Run it even if this night already had fresh answers"',
      );
      expect(await allTasks()).toEqual([{ n: 0 }]);

      const confirmed = h.api.calls.length;
      expect((await h.send(submit(ADMIN, 'all', EVERY_PROVIDER, metadata, true))).status).toBe(200);
      await posted(
        confirmed,
        (c) =>
          c.method === 'chat.update' &&
          c.body.ts === reportTs &&
          messageText(c.body).includes('Repair started by'),
      );
      expect((await allTasks())[0]?.n).toBeGreaterThan(0);
    });
  });
});
