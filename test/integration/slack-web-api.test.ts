import { webApi } from '@slack/bolt';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { LocalWebApi } from '../../src/console/local-web-api.ts';
import { silentLogger } from '../../src/logger.ts';
import { createAccessChecker } from '../../src/slack/access.ts';

/** The loopback Web API stand-in speaks Slack's shapes; the access check caches and fails closed. */

const TOKEN = 'xoxb-web-api-test';

describe('LocalWebApi', () => {
  let api: LocalWebApi;
  let client: webApi.WebClient;
  beforeAll(async () => {
    api = new LocalWebApi({ token: TOKEN, usergroups: { S1: ['U1'] } });
    await api.start();
    client = new webApi.WebClient(TOKEN, { slackApiUrl: api.url, retryConfig: { retries: 0 } });
  });
  afterAll(() => api.stop());

  it('posts, edits and records messages as Slack would', async () => {
    const seen: string[] = [];
    const off = api.onCall((c) => seen.push(c.method));
    const blocks = [{ type: 'section', text: { type: 'mrkdwn', text: 'hello' } }];
    const posted = await client.chat.postMessage({ channel: 'C1', text: 'hi', blocks });
    expect(posted).toMatchObject({ ok: true, channel: 'C1' });
    await client.chat.update({ channel: 'C1', ts: String(posted.ts), text: 'edited', blocks });
    off();
    expect(api.message('C1', String(posted.ts))).toMatchObject({ text: 'edited', blocks, edits: 1 });
    expect(api.callsTo('chat.postMessage').at(-1)?.body.blocks).toEqual(blocks);
    expect(seen).toEqual(['chat.postMessage', 'chat.update']);
  });

  it("answers Slack's errors: unknown message, unknown method, bad token", async () => {
    await expect(client.chat.update({ channel: 'C1', ts: '9.000009', text: 'x' })).rejects.toMatchObject({
      data: { error: 'message_not_found' },
    });
    await expect(client.apiCall('nope.nothing')).rejects.toMatchObject({ data: { error: 'unknown_method' } });
    const stranger = new webApi.WebClient('xoxb-wrong', {
      slackApiUrl: api.url,
      retryConfig: { retries: 0 },
    });
    await expect(stranger.auth.test()).rejects.toMatchObject({ data: { error: 'invalid_auth' } });
    const anonymous = await fetch(`${api.url}auth.test`, { method: 'POST' });
    expect(await anonymous.json()).toEqual({ ok: false, error: 'not_authed' });
  });

  it('fails a method as often as told, then works again', async () => {
    api.failNext('views.publish', { error: 'internal_error', times: 2 });
    const publish = () => client.views.publish({ user_id: 'U1', view: { type: 'home', blocks: [] } });
    await expect(publish()).rejects.toMatchObject({ data: { error: 'internal_error' } });
    await expect(publish()).rejects.toMatchObject({ data: { error: 'internal_error' } });
    await expect(publish()).resolves.toMatchObject({ ok: true, view: { id: 'home-U1' } });
  });

  it('records response_url posts by id', async () => {
    const url = api.responseUrl('abc');
    await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{"text":"hey"}',
    });
    expect(api.responses.get('abc')).toEqual({ text: 'hey' });
    expect((await api.waitFor((c) => c.responseId === 'abc')).method).toBe('response_url');
  });
});

describe('access checker', () => {
  let api: LocalWebApi;
  let client: webApi.WebClient;
  const at = { ms: Date.parse('2026-03-08T12:00:00Z') };
  const clock = () => new Date(at.ms);
  beforeAll(async () => {
    api = new LocalWebApi({ token: TOKEN, usergroups: { S0ADMINS: ['U0MEMBER'] } });
    await api.start();
    client = new webApi.WebClient(TOKEN, { slackApiUrl: api.url, retryConfig: { retries: 0 } });
  });
  beforeEach(() => {
    api.calls.length = 0;
  });
  afterAll(() => api.stop());

  const checker = (group?: string) =>
    createAccessChecker(
      { client, logger: silentLogger(), clock },
      { policy: { adminUsers: ['U0LISTED'], adminUsergroup: group }, cacheMs: 60_000 },
    );

  it('admits listed users without asking Slack, and group members with one lookup per minute', async () => {
    const access = checker('S0ADMINS');
    expect(await access.isAdmin('U0LISTED')).toBe(true);
    expect(api.calls).toHaveLength(0);
    const answers = await Promise.all([
      access.isAdmin('U0MEMBER'),
      access.isAdmin('U0OTHER'),
      access.isAdmin('U0MEMBER'),
    ]);
    expect(answers).toEqual([true, false, true]);
    expect(api.callsTo('usergroups.users.list')).toHaveLength(1);
    at.ms += 61_000;
    expect(await access.isAdmin('U0MEMBER')).toBe(true);
    expect(api.callsTo('usergroups.users.list')).toHaveLength(2);
  });

  it('denies when the group cannot be read, and without a group', async () => {
    api.failNext('usergroups.users.list', { error: 'missing_scope' });
    expect(await checker('S0ADMINS').isAdmin('U0MEMBER')).toBe(false);
    expect(await checker('S0UNKNOWN').isAdmin('U0MEMBER')).toBe(false);
    expect(await checker(undefined).isAdmin('U0MEMBER')).toBe(false);
  });
});
