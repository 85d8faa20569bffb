import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { SLASH_COMMANDS } from '../../src/blocks/ids.ts';
import { buildCommand, signature } from '../../src/console/sign-request.ts';
import { COMMAND_HANDLERS } from '../../src/listeners/commands/index.ts';
import { backends, type TestDatabase } from '../support/db.ts';
import { ADMIN, SIGNING_SECRET, type SlackHarness, startSlackHarness } from '../support/fake-slack.ts';

/**
 * The app's HTTP surface: only requests signed with SLACK_SIGNING_SECRET within five minutes of
 * now reach a handler (tampered, stale, future-dated and unsigned ones get 401 and do nothing),
 * and the manifest declares exactly the commands the app registers.
 */

const manifest = parse(readFileSync(new URL('../../manifest.yml', import.meta.url), 'utf8')) as {
  features: { slash_commands: { command: string }[] };
  settings: { event_subscriptions: { bot_events: string[] }; interactivity: Record<string, unknown> };
};
const manifestCommands = manifest.features.slash_commands.map((c) => c.command).sort();
const now = () => Math.floor(Date.now() / 1000);

describe('manifest.yml', () => {
  it('declares exactly the slash commands src/listeners/commands/index.ts registers', () => {
    expect(manifestCommands).toEqual(Object.keys(COMMAND_HANDLERS).sort());
    expect(manifestCommands).toEqual([...SLASH_COMMANDS].sort());
  });

  it('subscribes to app_home_opened and loads select options from the app', () => {
    expect(manifest.settings.event_subscriptions.bot_events).toEqual(['app_home_opened']);
    expect(manifest.settings.interactivity.is_enabled).toBe(true);
    expect(manifest.settings.interactivity.message_menu_options_url).toMatch(/\/slack\/events$/);
  });
});

describe.each(backends())('signed requests on $name', (backend) => {
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

  const status = (responseId: string) =>
    buildCommand({
      command: '/sched-status',
      text: '',
      userId: ADMIN,
      responseUrl: h.api.responseUrl(responseId),
    });

  it.each(manifestCommands)(
    'answers %s, declared in the manifest, when the request is signed',
    async (name) => {
      const responseId = `ok${name}`;
      const request = buildCommand({
        command: name,
        text: 'zz',
        userId: ADMIN,
        responseUrl: h.api.responseUrl(responseId),
      });
      expect((await h.send(request)).status).toBe(200);
      await h.api.waitFor((c) => c.responseId === responseId);
    },
  );

  it('accepts a request signed four minutes ago', async () => {
    expect((await h.send(status('skewed'), { timestampSec: now() - 240 })).status).toBe(200);
    await h.api.waitFor((c) => c.responseId === 'skewed');
  });

  it.each([
    ['tampered', (body: string) => ({ tamperedBody: body.replace('sched-status', 'sched-rerun') })],
    ['signed with another secret', () => ({ signingSecret: 'not-the-secret' })],
    ['stale (six minutes old)', () => ({ timestampSec: now() - 360 })],
    ['future-dated (six minutes ahead)', () => ({ timestampSec: now() + 360 })],
  ])('refuses a %s request with 401 and does nothing', async (label, options) => {
    const before = h.api.calls.length;
    const request = status(`refused-${label}`);
    const res = await h.send(request, options(request.body));
    expect(res.status).toBe(401);
    // A signed request sent afterwards is answered; the refused one never was.
    await h.send(status(`after-${label}`));
    await h.api.waitFor((c) => c.responseId === `after-${label}`);
    expect(h.api.calls.slice(before).some((c) => c.responseId === `refused-${label}`)).toBe(false);
  });

  it('refuses requests without signature headers, or with a malformed signature', async () => {
    const request = status('unsigned');
    const plain = await fetch(h.eventsUrl, {
      method: 'POST',
      headers: { 'content-type': request.contentType },
      body: request.body,
    });
    expect(plain.status).toBe(401);
    const ts = now();
    const malformed = await fetch(h.eventsUrl, {
      method: 'POST',
      headers: {
        'content-type': request.contentType,
        'x-slack-request-timestamp': String(ts),
        'x-slack-signature': signature(SIGNING_SECRET, ts, request.body).replace('v0=', 'v1='),
      },
      body: request.body,
    });
    expect(malformed.status).toBe(401);
  });

  it('answers 404 to paths it does not serve', async () => {
    const res = await fetch(h.eventsUrl.replace('/slack/events', '/nope'), { method: 'POST' });
    expect(res.status).toBe(404);
    expect((await fetch(h.eventsUrl)).status).toBe(404);
  });
});
