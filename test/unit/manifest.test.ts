import { readFileSync } from 'node:fs';
import { Ajv } from 'ajv';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { EXTERNAL_SELECT_ACTIONS, SLASH_COMMANDS } from '../../src/blocks/ids.ts';

/**
 * manifest.yml must be a manifest Slack accepts (the published JSON schema, copied into
 * test/fixtures so the test does not depend on anything outside the repository) and must
 * declare exactly what the app uses.
 */

const root = new URL('../../', import.meta.url);
const manifestText = readFileSync(new URL('manifest.yml', root), 'utf8');
const manifest = parse(manifestText);
const schema = JSON.parse(
  readFileSync(new URL('test/fixtures/slack-manifest.schema.1.0.0.json', root), 'utf8'),
);

function compileSchema() {
  // strictSchema off: the schema carries annotations of its own (`_note`, `requires`…) that Ajv
  // does not know. Its `regex` keyword is a real constraint, so it is enforced here.
  const ajv = new Ajv({ allErrors: true, strictSchema: false, strictTypes: false });
  ajv.addKeyword({
    keyword: 'regex',
    type: 'string',
    schemaType: 'string',
    validate: (pattern: string, data: string) => new RegExp(pattern).test(data),
  });
  ajv.addFormat('uri', /^[a-z][a-z0-9+.-]*:\S+$/i);
  return ajv.compile(schema);
}
const validate = compileSchema();

describe('manifest.yml', () => {
  it('validates against the Slack app manifest schema (draft-07)', () => {
    expect(schema.$schema).toBe('http://json-schema.org/draft-07/schema#');
    const valid = validate(manifest);
    expect(validate.errors ?? []).toEqual([]);
    expect(valid).toBe(true);
  });

  it('the validator rejects a broken manifest, so the check above can fail', () => {
    const broken = structuredClone(manifest);
    broken.features.slash_commands[0].command = 'sched-status';
    broken.display_information.background_color = '#zzzzzz';
    broken.settings.unknown_setting = true;
    expect(validate(broken)).toBe(false);
    const paths = (validate.errors ?? []).map((e) => `${e.instancePath} ${e.keyword}`);
    expect(paths).toContain('/features/slash_commands/0/command pattern');
    expect(paths).toContain('/display_information/background_color regex');
    expect(paths).toContain('/settings additionalProperties');
  });

  it('declares exactly the slash commands the app registers, each with a description and usage hint', () => {
    const commands = manifest.features.slash_commands as {
      command: string;
      usage_hint?: string;
      description: string;
    }[];
    expect(commands.map((c) => c.command).sort()).toEqual([...SLASH_COMMANDS].sort());
    for (const c of commands) {
      expect(c.description.length).toBeGreaterThan(10);
      expect(c.usage_hint).toBeTruthy();
    }
  });

  it('routes commands, interactivity, options-load and events to the one Bolt endpoint', () => {
    const urls = [
      ...manifest.features.slash_commands.map((c: { url: string }) => c.url),
      manifest.settings.interactivity.request_url,
      manifest.settings.interactivity.message_menu_options_url,
      manifest.settings.event_subscriptions.request_url,
    ];
    expect(new Set(urls)).toEqual(new Set(['https://example.com/slack/events']));
    // The org typeaheads need the options-load URL.
    expect(EXTERNAL_SELECT_ACTIONS.length).toBeGreaterThan(0);
    expect(manifest.settings.interactivity.is_enabled).toBe(true);
  });

  it('has App Home with its tab, the app_home_opened event and the smallest bot scopes', () => {
    expect(manifest.features.app_home.home_tab_enabled).toBe(true);
    expect(manifest.settings.event_subscriptions.bot_events).toEqual(['app_home_opened']);
    expect(manifest.oauth_config.scopes.bot).toEqual([
      'commands',
      'chat:write',
      'files:write',
      'usergroups:read',
      // Read only to find the bot's own post whose answer was lost (src/report/post-once.ts).
      'channels:history',
      'groups:history',
    ]);
    expect(manifest.oauth_config.scopes.user).toBeUndefined();
    expect(manifest.settings.socket_mode_enabled).toBe(false);
  });

  it('explains how to set the request URL and the scope choices in comments', () => {
    expect(manifestText).toMatch(/# .*placeholder/);
    expect(manifestText).toMatch(/chat:write\.public/);
    expect(manifestText).toMatch(/SLACK_APP_TOKEN/);
  });
});
