import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  buildBlockAction,
  buildCommand,
  buildOptionsRequest,
  buildViewSubmission,
} from '../../src/console/sign-request.ts';
import { backends, type TestDatabase } from '../support/db.ts';
import { ADMIN, type SlackHarness, startSlackHarness } from '../support/fake-slack.ts';

describe.each(backends())('odd signed payloads on $name', (backend) => {
  let database: TestDatabase;
  let h: SlackHarness;
  beforeAll(async () => {
    database = await backend.create();
    h = await startSlackHarness(database.db);
  });
  afterAll(async () => {
    await h?.stop();
    await database?.close();
  });

  it.each([
    ['payload=null', 'application/x-www-form-urlencoded', 'payload=null'],
    ['JSON null', 'application/json', 'null'],
  ] as const)('answers a signed %s with 400 and keeps serving', async (_, contentType, body) => {
    const res = await h.send({ contentType, body });
    expect(res.status).toBe(400);
    await new Promise((r) => setTimeout(r, 50));
    const after = await h.send(
      buildCommand({
        command: '/sched-history',
        text: '',
        userId: ADMIN,
        responseUrl: h.api.responseUrl('after'),
      }),
    );
    expect(after.status).toBe(200);
  });

  // Bolt calls no listener for a body whose kind it cannot tell, and nobody acks it: Slack's
  // sender got a 404 after Bolt's 3 s unhandled-request timeout, logged as an error of ours.
  it.each([
    ['a form payload {}', 'application/x-www-form-urlencoded', `payload=${encodeURIComponent('{}')}`],
    ['JSON {}', 'application/json', '{}'],
    ['an event_callback without its event', 'application/json', '{"type":"event_callback"}'],
    ['an event that is not an object', 'application/json', '{"type":"event_callback","event":5}'],
    [
      'a payload of an unknown type',
      'application/x-www-form-urlencoded',
      `payload=${encodeURIComponent('{"type":"nope"}')}`,
    ],
  ] as const)('answers %s with 400 at once', async (_, contentType, body) => {
    const res = await h.send({ contentType, body });
    expect(res.status).toBe(400);
  });

  // A request of a known kind that no listener takes (an action id of an old message, an input
  // element Slack should not have dispatched) is acknowledged, not left to the 3 s timeout.
  it('acknowledges an action, a submission, a close and a typeahead that no listener takes', async () => {
    const action = await h.send(
      buildBlockAction({
        actionId: 'left_over_from_an_old_message',
        value: 'x',
        userId: ADMIN,
        responseUrl: h.api.responseUrl(),
      }),
    );
    expect(action.status).toBe(200);
    const radio = await h.send(
      buildBlockAction({
        actionId: 'repair_modal_scope',
        value: 'all',
        userId: ADMIN,
        responseUrl: h.api.responseUrl(),
      }),
    );
    expect(radio.status).toBe(200);
    const submission = await h.send(
      buildViewSubmission({ callbackId: 'no_such_modal', userId: ADMIN, privateMetadata: '', values: {} }),
    );
    expect(submission.status).toBe(200);
    const closed = await h.send({
      contentType: 'application/x-www-form-urlencoded',
      body: `payload=${encodeURIComponent(
        JSON.stringify({
          type: 'view_closed',
          user: { id: ADMIN },
          team: { id: 'T0' },
          view: { callback_id: 'rerun_modal', id: 'V1' },
        }),
      )}`,
    });
    expect(closed.status).toBe(200);
    const options = await h.send(
      buildOptionsRequest({ actionId: 'no_such_select', value: 'a', userId: ADMIN }),
    );
    expect(options.status).toBe(200);
    expect(options.json).toEqual({ options: [] });
  });
});
