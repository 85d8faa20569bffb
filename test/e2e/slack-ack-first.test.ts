import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ACTION_IDS, BLOCK_IDS, CALLBACK_IDS } from '../../src/blocks/ids.ts';
import { encodeRerunMetadata } from '../../src/blocks/rerun-metadata.ts';
import { encodePageValue } from '../../src/blocks/values.ts';
import {
  buildBlockAction,
  buildCommand,
  buildOptionsRequest,
  buildViewSubmission,
  type SlackRequest,
} from '../../src/console/sign-request.ts';
import { stableUuid } from '../../src/db/seed-demo.ts';
import { runDateOf } from '../../src/time/business-day.ts';
import { backends, type TestDatabase } from '../support/db.ts';
import {
  FAILED_ORG,
  GROUP_ADMIN,
  nightWithFailures,
  OUTSIDER,
  type SlackHarness,
  startSlackHarness,
} from '../support/fake-slack.ts';
import { holdDatabase } from '../support/hold-database.ts';
import { messageText } from '../support/slack-payloads.ts';

/**
 * Ack first, always: with the database locked and every Slack Web API method the handlers call
 * held (admin-group lookup, views, posts, response_urls), each command, click, options request
 * and modal submission must still get its HTTP 200. A handler that touched the database or Slack
 * before ack() would hang until Bolt's three-second timer answered 404 for it. Once released,
 * the answer each one owes arrives.
 */

const HELD = ['usergroups.users.list', 'views.open', 'views.push', 'views.update', 'chat.postMessage'];
const ACME_ID = stableUuid(`org:${FAILED_ORG}`);

describe.each(backends())('every handler acks before any I/O on $name', (backend) => {
  let database: TestDatabase;
  let h: SlackHarness;
  let runDate: string;

  beforeAll(async () => {
    database = await backend.create();
    // Cache 0: every admin check of the group admin is a usergroups.users.list call.
    h = await startSlackHarness(database.db, { accessCacheMs: 0 });
    runDate = runDateOf(h.deps.clock(), h.deps.config.timezone);
    await nightWithFailures(h.deps, runDate);
  });
  afterAll(async () => {
    await h?.stop();
    await database?.close();
  });

  /** Sends with Slack and the database held; the ack must come while they still are. */
  async function ackedWhileHeld(request: SlackRequest) {
    const releaseDb = await holdDatabase(database.db);
    const releases = [...HELD.map((m) => h.api.holdMethod(m)), h.api.holdResponses()];
    try {
      return await h.send(request);
    } finally {
      for (const release of releases) release();
      await releaseDb();
    }
  }

  const cases: [string, () => SlackRequest, (seqBefore: number) => Promise<unknown>][] = [
    [
      '/sched-status',
      () =>
        buildCommand({ command: '/sched-status', userId: GROUP_ADMIN, responseUrl: h.api.responseUrl('st') }),
      () => h.api.waitFor((c) => c.responseId === 'st'),
    ],
    [
      '/sched-rerun without an argument (modal, then the admin check)',
      () => buildCommand({ command: '/sched-rerun', userId: GROUP_ADMIN, responseUrl: h.api.responseUrl() }),
      (seq) => h.api.waitFor((c) => c.method === 'views.open' && c.seq > seq),
    ],
    [
      '/sched-rerun with an org (admin check, then the database)',
      () =>
        buildCommand({
          command: '/sched-rerun',
          text: 'acme analitics',
          userId: GROUP_ADMIN,
          responseUrl: h.api.responseUrl('rr'),
        }),
      () => h.api.waitFor((c) => c.responseId === 'rr'),
    ],
    [
      'Details of a night (loading modal, then the database)',
      () => buildBlockAction({ actionId: `open_night:${runDate}`, value: runDate, userId: GROUP_ADMIN }),
      (seq) => h.api.waitFor((c) => c.method === 'views.update' && c.seq > seq),
    ],
    [
      'Show all missing',
      () =>
        buildBlockAction({
          actionId: ACTION_IDS.showAllMissing,
          value: encodePageValue({ runDate, page: 0 }),
          userId: GROUP_ADMIN,
        }),
      (seq) => h.api.waitFor((c) => c.method === 'views.update' && c.seq > seq),
    ],
    [
      'Rerun org… select (admin check after the modal opened)',
      () =>
        buildBlockAction({
          actionId: ACTION_IDS.rerunOrgSelect,
          userId: GROUP_ADMIN,
          action: { type: 'external_select', selected_option: { value: ACME_ID } },
        }),
      (seq) => h.api.waitFor((c) => c.method === 'views.update' && c.seq > seq),
    ],
    [
      'Repair (admin check after the ack)',
      () =>
        buildBlockAction({
          actionId: ACTION_IDS.repair,
          value: runDate,
          userId: OUTSIDER,
          responseUrl: h.api.responseUrl('rp'),
        }),
      () => h.api.waitFor((c) => c.responseId === 'rp'),
    ],
    [
      'the rerun modal submitted by a group admin',
      () =>
        buildViewSubmission({
          callbackId: CALLBACK_IDS.rerunModal,
          userId: GROUP_ADMIN,
          privateMetadata: encodeRerunMetadata({ runDate, responseUrl: h.api.responseUrl('sub') }),
          values: {
            [BLOCK_IDS.rerunModalOrg]: {
              [ACTION_IDS.rerunModalOrg]: { type: 'external_select', selected_option: { value: ACME_ID } },
            },
            [BLOCK_IDS.rerunModalScope]: {
              [ACTION_IDS.rerunModalScope]: { type: 'radio_buttons', selected_option: { value: 'all' } },
            },
          },
        }),
      () => h.api.waitFor((c) => c.responseId === 'sub'),
    ],
  ];

  it.each(cases)('%s', async (_, request, answered) => {
    const seq = h.api.calls.length;
    const res = await ackedWhileHeld(request());
    expect(res.status).toBe(200);
    await answered(seq);
  });

  it('the org typeahead answers within the window even when the database does not', async () => {
    const res = await ackedWhileHeld(
      buildOptionsRequest({ actionId: ACTION_IDS.rerunModalOrg, value: 'acme', userId: GROUP_ADMIN }),
    );
    expect(res.status).toBe(200);
    expect(res.json).toEqual({ options: [] });
  });

  it('a non-admin who submits the rerun modal is told so, not silently dropped', async () => {
    const res = await h.send(
      buildViewSubmission({
        callbackId: CALLBACK_IDS.rerunModal,
        userId: OUTSIDER,
        privateMetadata: encodeRerunMetadata({ runDate, responseUrl: h.api.responseUrl('deny') }),
        values: {
          [BLOCK_IDS.rerunModalOrg]: {
            [ACTION_IDS.rerunModalOrg]: { type: 'external_select', selected_option: { value: ACME_ID } },
          },
          [BLOCK_IDS.rerunModalScope]: {
            [ACTION_IDS.rerunModalScope]: { type: 'radio_buttons', selected_option: { value: 'all' } },
          },
        },
      }),
    );
    expect(res.status).toBe(200);
    const answer = await h.api.waitFor((c) => c.responseId === 'deny');
    expect(messageText(answer.body)).toContain('may rerun an org');
  });
});
