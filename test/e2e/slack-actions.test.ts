import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ACTION_IDS, BLOCK_IDS, CALLBACK_IDS } from '../../src/blocks/ids.ts';
import { encodeRerunMetadata } from '../../src/blocks/rerun-metadata.ts';
import { rerunModal } from '../../src/blocks/rerun-modal.ts';
import { encodePageValue } from '../../src/blocks/values.ts';
import {
  type ActionContainer,
  buildAppHomeOpened,
  buildBlockAction,
  buildOptionsRequest,
  buildViewSubmission,
} from '../../src/console/sign-request.ts';
import { queryOne, queryRows } from '../../src/db/client.ts';
import { stableUuid } from '../../src/db/seed-demo.ts';
import { postOrUpdateReport } from '../../src/report/report-poster.ts';
import { addDays, runDateOf } from '../../src/time/business-day.ts';
import type { TestDatabase } from '../support/db.ts';
import {
  ADMIN,
  backendsAndModes,
  FAILED_ORG,
  nightWithFailures,
  OUTSIDER,
  REPORT_CHANNEL,
  type SlackHarness,
  startSlackHarness,
} from '../support/fake-slack.ts';
import { actionIds, actionValue, messageText } from '../support/slack-payloads.ts';

/** Every button, select, options request, modal submission and App Home, end to end, over HTTP and Socket Mode. */

const OPS_CHANNEL = 'C0OPS';
const ACME_ID = stableUuid(`org:${FAILED_ORG}`);

type View = { id?: string; callback_id?: string; blocks?: unknown[] };

describe.each(backendsAndModes())('buttons, modals and App Home on $name over $mode', ({ backend, mode }) => {
  let database: TestDatabase;
  let h: SlackHarness;
  let runDate: string;
  let n = 0;

  /** Clicks and returns what was posted to the click's response_url, or the Web API call asked for. */
  async function click(
    actionId: string,
    value: string | undefined,
    options: {
      userId?: string;
      container?: ActionContainer;
      action?: Record<string, unknown>;
      wait?: string;
    } = {},
  ) {
    const responseId = `click${++n}`;
    const before = h.api.calls.length;
    const res = await h.send(
      buildBlockAction({
        actionId,
        ...(value === undefined ? {} : { value }),
        userId: options.userId ?? ADMIN,
        responseUrl: h.api.responseUrl(responseId),
        container: options.container ?? { channelId: OPS_CHANNEL, messageTs: '1.000001', isEphemeral: true },
        ...(options.action ? { action: options.action } : {}),
      }),
    );
    expect(res.status).toBe(200);
    return h.api.waitFor((c) =>
      options.wait ? c.method === options.wait && c.seq > before : c.responseId === responseId,
    );
  }

  beforeAll(async () => {
    database = await backend.create();
    h = await startSlackHarness(database.db, { mode });
    runDate = runDateOf(h.deps.clock(), h.deps.config.timezone);
    const { report } = await nightWithFailures(h.deps, runDate);
    await postOrUpdateReport({ ...h.slack.deps, client: h.slack.app.client }, { runDate, report });
    // Fifteen earlier nights with a recorded postcheck, so history has more than one page.
    for (let i = 1; i <= 15; i++) {
      const day = addDays(runDate, -i);
      await database.db.execute(sql`
        insert into scheduler_runs (function_name, run_key, status, started_at, completed_at, triggered_by, result)
        values ('scheduler-postcheck', ${day}, 'completed', now(), now(), 'scheduler',
                ${JSON.stringify({ ...report, runDate: day })}::jsonb)`);
    }
  });
  afterAll(async () => {
    await h?.stop();
    await database?.close();
  });

  it('pages history with Older and Newer in the same message', async () => {
    const first = await click(ACTION_IDS.openHistory, '30');
    expect(messageText(first.body)).toContain('Nights 1–10 of the last 30 days');
    const older = (first.body.blocks as unknown[]).length && actionValue(first.body, ACTION_IDS.historyOlder);
    const page2 = await click(ACTION_IDS.historyOlder, String(older));
    expect(page2.body.replace_original).toBe(true);
    expect(messageText(page2.body)).toContain('Nights 11–16');
    const page1 = await click(
      ACTION_IDS.historyNewer,
      String(actionValue(page2.body, ACTION_IDS.historyNewer)),
    );
    expect(messageText(page1.body)).toContain('Nights 1–10');
    const stale = await click(ACTION_IDS.historyOlder, 'not|a|page');
    expect(messageText(stale.body)).toContain('out of date');
  });

  it("opens a night's full postcheck in a modal, and says so when none was recorded", async () => {
    const night = addDays(runDate, -3);
    // The modal opens at once with a loading view (the trigger_id expires), then is filled.
    const open = await click(`open_night:${night}`, night, { wait: 'views.update' });
    const loading = h.api.callsTo('views.open').at(-1);
    expect(messageText(loading?.body.view)).toContain('Loading');
    expect(open.body.view_id).toBe((loading?.response.view as View | undefined)?.id);
    const view = open.body.view as View;
    expect(view.callback_id).toBe(CALLBACK_IDS.runDetailModal);
    expect(messageText(view)).toContain(`Night ${night}`);
    const none = await click('open_night:2001-01-01', '2001-01-01', { wait: 'views.update' });
    expect(messageText(none.body.view)).toContain('No postcheck was recorded for 2001-01-01');
  });

  it('tells the clicker in one sentence when Slack refuses the modal', async () => {
    h.api.failNext('views.open', { error: 'expired_trigger_id' });
    const night = addDays(runDate, -2);
    const failed = await click(`open_night:${night}`, night);
    expect(messageText(failed.body)).toContain('Something went wrong on my side');
  });

  it('shows every missing prompt in a paged modal', async () => {
    const open = await click(ACTION_IDS.showAllMissing, encodePageValue({ runDate, page: 0 }), {
      wait: 'views.update',
    });
    const view = open.body.view as View;
    expect(view.callback_id).toBe(CALLBACK_IDS.missingPromptsModal);
    expect(messageText(view)).toContain('Showing 1–42 of 42 prompts');
    const opened = open.response.view as View;
    const paged = await click(ACTION_IDS.missingPageNext, encodePageValue({ runDate, page: 1 }), {
      container: { channelId: OPS_CHANNEL, view: { id: String(opened.id), type: 'modal' } },
      wait: 'views.update',
    });
    expect(paged.body.view_id).toBe(opened.id);
  });

  it("shares a copy marked as such, never recorded as the night's report, falling back to response_url where the bot may not post", async () => {
    const reports = () =>
      queryRows<{ run_date: string; channel: string; ts: string | null }>(
        database.db,
        sql`select run_date::text, channel, ts from slack_reports order by run_date, channel`,
      );
    const before = await reports();
    const shared = await click(ACTION_IDS.shareStatus, runDate, { wait: 'chat.postMessage' });
    expect(shared.body.channel).toBe(OPS_CHANNEL);
    // Marked as a copy, so nothing that reads the channel takes it for the report.
    expect(shared.body.metadata).toMatchObject({
      event_type: 'sched_report_copy',
      event_payload: { run_date: runDate },
    });
    // The night keeps its one report: postchecks and repairs edit that one, not the copy.
    expect(await reports()).toEqual(before);

    h.api.failNext('chat.postMessage', { error: 'not_in_channel' });
    const fallback = await click(ACTION_IDS.shareStatus, runDate);
    expect(fallback.body.response_type).toBe('in_channel');
    expect(messageText(fallback.body)).toContain('Nightly run');
    expect(await reports()).toEqual(before);
  });

  it.each(['1999-01-01', '2099-01-01'])(
    'refuses to share a night that had no trigger (%s): ephemeral, nothing posted or recorded',
    async (forged) => {
      const posts = h.api.callsTo('chat.postMessage').length;
      const refused = await click(ACTION_IDS.shareStatus, forged);
      expect(refused.body.response_type).not.toBe('in_channel');
      expect(messageText(refused.body)).toContain(`no night of ${forged} to share`);
      expect(h.api.callsTo('chat.postMessage')).toHaveLength(posts);
      const rows = await queryRows<{ n: number }>(
        database.db,
        sql`select count(*)::int as n from slack_reports where run_date = ${forged}::date`,
      );
      expect(rows[0]?.n).toBe(0);
    },
  );

  it('opens the rerun modal for an org picked in the report, for admins only', async () => {
    const action = {
      type: 'static_select',
      selected_option: { text: { type: 'plain_text', text: 'Acme' }, value: ACME_ID },
    };
    // The modal opens at once; the admin check follows and a refusal is shown in it.
    const denied = await click(ACTION_IDS.rerunOrgSelect, undefined, {
      userId: OUTSIDER,
      action,
      wait: 'views.update',
    });
    expect(messageText(denied.body.view)).toContain('may rerun an org');
    const open = await click(ACTION_IDS.rerunOrgSelect, undefined, { action, wait: 'views.update' });
    expect(JSON.stringify(open.body.view)).toContain(ACME_ID);
    // What each scope would enqueue, per provider: Acme's openai and perplexity tries all failed.
    const preview = messageText(open.body.view);
    for (const scope of ['Missing prompts only', 'Failed prompts only', 'All prompts']) {
      expect(preview).toMatch(
        new RegExp(
          `\\*${scope}\\*: 50 units, estimated cost ≈ \\S+ \\((openai|perplexity) 25 ≈ \\S+ · (openai|perplexity) 25 ≈ \\S+\\)`,
        ),
      );
    }
    expect(actionIds(open.body.view)).toContain(ACTION_IDS.rerunModalProvider);
  });

  it("refreshes the rerun modal's preview for the org picked in its typeahead, keeping the choices", async () => {
    const privateMetadata = encodeRerunMetadata({ runDate, channelId: OPS_CHANNEL });
    const opened = await h.slack.app.client.views.open({
      trigger_id: 'trigger-rerun-modal',
      view: rerunModal({ runDate, privateMetadata }) as never,
    });
    const viewId = String(opened.view?.id);
    const pick = (userId: string, id = viewId) =>
      buildBlockAction({
        actionId: ACTION_IDS.rerunModalOrg,
        blockId: BLOCK_IDS.rerunModalOrg,
        userId,
        container: {
          channelId: OPS_CHANNEL,
          view: {
            id,
            type: 'modal',
            callback_id: CALLBACK_IDS.rerunModal,
            private_metadata: privateMetadata,
            hash: 'hash-1',
            state: {
              values: {
                [BLOCK_IDS.rerunModalScope]: {
                  [ACTION_IDS.rerunModalScope]: {
                    type: 'radio_buttons',
                    selected_option: { value: 'failed' },
                  },
                },
                [BLOCK_IDS.rerunModalProvider]: {
                  [ACTION_IDS.rerunModalProvider]: {
                    type: 'static_select',
                    selected_option: { value: 'openai' },
                  },
                },
              },
            },
          },
        },
        action: { type: 'external_select', selected_option: { value: ACME_ID } },
      });
    const before = h.api.calls.length;
    expect((await h.send(pick(OUTSIDER))).status).toBe(200);
    expect((await h.send(pick(ADMIN))).status).toBe(200);
    const updated = await h.api.waitFor((c) => c.method === 'views.update' && c.seq > before);
    expect(updated.body).toMatchObject({ view_id: viewId, hash: 'hash-1' });
    // Only the admin's pick redrew the modal.
    expect(h.api.calls.slice(before).filter((c) => c.method === 'views.update')).toHaveLength(1);
    const view = updated.body.view as {
      private_metadata: string;
      blocks: { block_id?: string; element?: { initial_option?: { value: string } } }[];
    };
    const initial = (blockId: string) =>
      view.blocks.find((b) => b.block_id === blockId)?.element?.initial_option?.value;
    expect(messageText(view)).toMatch(/\*Failed prompts only\*: 50 units, estimated cost/);
    expect(initial(BLOCK_IDS.rerunModalOrg)).toBe(ACME_ID);
    expect(initial(BLOCK_IDS.rerunModalScope)).toBe('failed');
    expect(initial(BLOCK_IDS.rerunModalProvider)).toBe('openai');
    expect(view.private_metadata).toBe(privateMetadata);
    // A modal closed meanwhile (Slack: not_found) has nothing to redraw and nobody to tell.
    const seq = h.api.calls.length;
    expect((await h.send(pick(ADMIN, 'V0CLOSEDVIEW'))).status).toBe(200);
    await h.api.waitFor((c) => c.method === 'views.update' && c.seq > seq);
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(h.api.calls.slice(seq).filter((c) => c.method === 'chat.postMessage')).toEqual([]);
  });

  it('reruns from the modal only the failed units of the provider picked', async () => {
    const values = {
      [BLOCK_IDS.rerunModalOrg]: {
        [ACTION_IDS.rerunModalOrg]: { type: 'external_select', selected_option: { value: ACME_ID } },
      },
      [BLOCK_IDS.rerunModalScope]: {
        [ACTION_IDS.rerunModalScope]: { type: 'radio_buttons', selected_option: { value: 'failed' } },
      },
      [BLOCK_IDS.rerunModalProvider]: {
        [ACTION_IDS.rerunModalProvider]: { type: 'static_select', selected_option: { value: 'openai' } },
      },
    };
    const ok = await h.send(
      buildViewSubmission({
        callbackId: CALLBACK_IDS.rerunModal,
        userId: ADMIN,
        values,
        privateMetadata: encodeRerunMetadata({
          runDate,
          channelId: OPS_CHANNEL,
          responseUrl: h.api.responseUrl('scoped-modal'),
        }),
      }),
    );
    expect(ok.status).toBe(200);
    const result = await h.api.waitFor((c) => c.responseId === 'scoped-modal');
    expect(messageText(result.body)).toContain('25 units (openai 25), failed units only, openai only');
    // Acme's perplexity units failed too: they stay where they are.
    const tasks = await queryRows<{ provider: string; n: number }>(
      database.db,
      sql`select t.provider, count(*)::int as n from batch_tasks t join batch_jobs j on j.id = t.batch_job_id
          where j.source = 'rerun' and t.org_id = ${ACME_ID}::uuid group by t.provider`,
    );
    expect(tasks).toEqual([{ provider: 'openai', n: 25 }]);
    const run = await queryOne<{ result: { scope: string; provider: string } }>(
      database.db,
      sql`select result from scheduler_runs where function_name = 'rerun' order by id desc limit 1`,
    );
    expect(run?.result).toMatchObject({ scope: 'failed', provider: 'openai' });
    const bad = await h.send(
      buildViewSubmission({
        callbackId: CALLBACK_IDS.rerunModal,
        userId: ADMIN,
        values: {
          ...values,
          [BLOCK_IDS.rerunModalProvider]: {
            [ACTION_IDS.rerunModalProvider]: { type: 'static_select', selected_option: { value: 'mistral' } },
          },
        },
        privateMetadata: encodeRerunMetadata({ runDate, channelId: OPS_CHANNEL }),
      }),
    );
    expect(bad.json).toEqual({
      response_action: 'errors',
      errors: { [BLOCK_IDS.rerunModalProvider]: 'Pick a provider, or every provider.' },
    });
  });

  it('answers the org typeahead with at most 100 matching options, whatever is typed', async () => {
    const ask = (value: string) =>
      h.send(
        buildOptionsRequest({
          actionId: ACTION_IDS.rerunModalOrg,
          value,
          userId: ADMIN,
          view: { id: 'V1', callback_id: CALLBACK_IDS.rerunModal },
        }),
      );
    const acme = (await ask('acm')).json as { options: { value: string; text: { text: string } }[] };
    expect(acme.options.map((o) => o.value)).toEqual([ACME_ID]);
    const all = (await ask('')).json as { options: unknown[] };
    expect(all.options).toHaveLength(6);
    for (const odd of ['x'.repeat(5_000), `'; drop table organizations; --`]) {
      const res = await ask(odd);
      expect(res.status).toBe(200);
      expect((res.json as { options: unknown[] }).options.length).toBeLessThanOrEqual(100);
    }
    const message = await h.send(
      buildOptionsRequest({ actionId: ACTION_IDS.rerunOrgSelect, value: 'fjord', userId: ADMIN }),
    );
    expect(JSON.stringify(message.json)).toContain('Fjord Software');
  });

  it('reruns from the modal submission, and keeps the modal open with errors for bad input', async () => {
    const values = (orgId?: string) => ({
      [BLOCK_IDS.rerunModalOrg]: {
        [ACTION_IDS.rerunModalOrg]: {
          type: 'external_select',
          selected_option: orgId ? { value: orgId } : null,
        },
      },
      [BLOCK_IDS.rerunModalScope]: {
        [ACTION_IDS.rerunModalScope]: { type: 'radio_buttons', selected_option: { value: 'all' } },
      },
    });
    const submit = (orgId: string | undefined, userId: string, responseUrl?: string) =>
      h.send(
        buildViewSubmission({
          callbackId: CALLBACK_IDS.rerunModal,
          userId,
          values: values(orgId),
          privateMetadata: encodeRerunMetadata({ runDate, channelId: OPS_CHANNEL, responseUrl }),
        }),
      );

    const empty = await submit(undefined, ADMIN);
    expect(empty.json).toEqual({
      response_action: 'errors',
      errors: { [BLOCK_IDS.rerunModalOrg]: 'Pick an org.' },
    });
    // The admin check comes after the ack (it may call Slack): the refusal follows ephemerally.
    const outsider = await submit(ACME_ID, OUTSIDER, h.api.responseUrl('refused'));
    expect(outsider.status).toBe(200);
    const refused = await h.api.waitFor((c) => c.responseId === 'refused');
    expect(messageText(refused.body)).toContain('may rerun an org');

    const ok = await submit(ACME_ID, ADMIN, h.api.responseUrl('modal'));
    expect(ok.status).toBe(200);
    expect(ok.text).toBe('');
    const result = await h.api.waitFor((c) => c.responseId === 'modal');
    expect(messageText(result.body)).toContain('Rerun of *Acme Analytics*');
    expect(messageText(result.body)).toContain('every expected unit');

    const dm = await submit(stableUuid('org:birch-labs'), ADMIN);
    expect(dm.status).toBe(200);
    const direct = await h.api.waitFor((c) => c.method === 'chat.postMessage' && c.body.channel === ADMIN);
    expect(messageText(direct.body)).toContain('Birch Labs');
  });

  it('publishes App Home with today and the nights before', async () => {
    const res = await h.send(buildAppHomeOpened(ADMIN));
    expect(res.status).toBe(200);
    const publish = await h.api.waitFor((c) => c.method === 'views.publish');
    expect(publish.body.user_id).toBe(ADMIN);
    const text = messageText(publish.body.view);
    expect(text).toContain('*Today*');
    expect(text).toContain('Last 14 nights');
    expect(actionIds(publish.body.view)).toContain(`open_night:${addDays(runDate, -1)}`);
  });

  it('repairs from an ephemeral status: the report in the channel is edited and the clicker told', async () => {
    const reportTs = String(
      (
        await queryOne<{ ts: string }>(
          database.db,
          sql`select ts from slack_reports where run_date = ${runDate}::date and channel = ${REPORT_CHANNEL}`,
        )
      )?.ts,
    );
    const told = await click(ACTION_IDS.repair, runDate);
    expect(messageText(told.body)).toContain(`Repair started by <@${ADMIN}>`);
    const edit = await h.api.waitFor((c) => c.method === 'chat.update' && c.body.ts === reportTs);
    expect(messageText(edit.body)).toContain('Repair started by');
    const bad = await click(ACTION_IDS.repair, '2026-02-30');
    expect(messageText(bad.body)).toContain('no valid date');
  });
});
