import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LocalWebApi } from '../../src/console/local-web-api.ts';
import { cliEnvironment, sched } from '../support/cli.ts';
import { backends } from '../support/db.ts';
import { BOT_TOKEN, REPORT_CHANNEL } from '../support/fake-slack.ts';
import { messageText } from '../support/slack-payloads.ts';

/** `sched snooze add | list | end` through the real CLI, on each backend. */
describe.each(backends())('sched snooze on $name', (backend) => {
  let env: Record<string, string | undefined>;
  let close: () => Promise<void>;

  beforeAll(async () => {
    ({ env, close } = await cliEnvironment(backend, { SIMULATED_PROFILE: 'ideal', USER: 'dana' }));
    expect((await sched(['seed', '--demo', '--orgs', '4'], env)).code).toBe(0);
  });
  afterAll(async () => {
    await close();
  });

  it('adds a provider snooze, an org until-success snooze and a maintenance window, lists them and ends one', async () => {
    const added = await sched(
      ['snooze', 'add', '--provider', 'perplexity', '--for', '2h', '--reason', 'maintenance'],
      env,
    );
    expect(added.stderr).toBe('');
    expect(added.code).toBe(0);
    expect(added.stdout).toMatch(
      /^Snooze 1: perplexity until \d\d:\d\d [A-Z+\d:-]+ \(maintenance\), by cli:dana\.\n$/,
    );

    const status = JSON.parse((await sched(['status', '--json'], env)).stdout);
    const first = status.orgs[0] as { orgId: string; slug: string; name: string };
    const org = await sched(['snooze', 'add', '--org', first.slug, '--until-success', '--json'], env);
    expect(org.code).toBe(0);
    expect(JSON.parse(org.stdout)).toMatchObject({
      scope: 'org',
      orgId: first.orgId,
      orgName: first.name,
      until: null,
      untilSuccess: true,
    });

    const starts = new Date(Date.now() + 3_600_000).toISOString();
    const until = new Date(Date.now() + 7_200_000).toISOString();
    const window = await sched(
      ['snooze', 'add', '--provider', 'openai', '--starts', starts, '--until', until, '--json'],
      env,
    );
    expect(window.code).toBe(0);
    const planned = JSON.parse(window.stdout);
    expect(planned).toMatchObject({
      scope: 'provider',
      provider: 'openai',
      untilSuccess: false,
      by: 'cli:dana',
    });
    expect(planned.startsAt).toBe(starts);

    const listed = JSON.parse((await sched(['snooze', 'list', '--json'], env)).stdout) as { id: number }[];
    expect(listed.map((s) => s.id)).toEqual(expect.arrayContaining([1, planned.id]));
    const text = await sched(['snooze', 'list'], env);
    expect(text.stdout).toMatch(/^ {3}1 {2}perplexity until .+ \(maintenance\)/m);
    expect(text.stdout).toMatch(/openai until .+ \(starts /);

    const ended = await sched(['snooze', 'end', '1'], env);
    expect(ended.code).toBe(0);
    expect(ended.stdout).toMatch(/^Snooze 1 on perplexity until .+ \(maintenance\), by .+ ended\.\n$/);
    const again = await sched(['snooze', 'end', '1'], env);
    expect(again.code).toBe(2);
    expect(again.stderr).toMatch(/snooze 1 is already over/);
    const after = JSON.parse((await sched(['snooze', 'list', '--json'], env)).stdout) as { id: number }[];
    expect(after.map((s) => s.id)).not.toContain(1);
  });

  it('refuses a bad scope, a bad duration and an unknown org in one sentence each', async () => {
    const noScope = await sched(['snooze', 'add', '--for', '2h'], env);
    expect(noScope.code).toBe(2);
    expect(noScope.stderr).toMatch(/Say what to snooze/);
    const badProvider = await sched(['snooze', 'add', '--provider', 'grok', '--for', '2h'], env);
    expect(badProvider.code).toBe(2);
    expect(badProvider.stderr).toMatch(/"?grok"? is not a provider|“grok” is not a provider/);
    const badDuration = await sched(['snooze', 'add', '--provider', 'openai', '--for', 'soon'], env);
    expect(badDuration.code).toBe(2);
    expect(badDuration.stderr).toMatch(/not a duration or a time/);
    const twoEnds = await sched(
      ['snooze', 'add', '--provider', 'openai', '--for', '2h', '--until-success'],
      env,
    );
    expect(twoEnds.code).toBe(2);
    expect(twoEnds.stderr).toMatch(/exactly one of --for, --until or --until-success/);
    const unknownOrg = await sched(['snooze', 'add', '--org', 'zzqxv-nothing-like-it', '--for', '2h'], env);
    expect(unknownOrg.code).toBe(2);
    expect(unknownOrg.stderr).toMatch(/No org is called/);
    const noId = await sched(['snooze', 'end', 'x'], env);
    expect(noId.code).toBe(2);
    const unknown = await sched(['snooze', 'end', '999'], env);
    expect(unknown.stderr).toMatch(/there is no snooze 999/);
  });

  it('postcheck --json gains snoozed and summary.actionable, and keeps the seed keys', async () => {
    await sched(['snooze', 'add', '--provider', 'anthropic', '--for', '1h', '--reason', 'quota'], env);
    const result = await sched(['postcheck', '--json'], env);
    expect(result.code).toBe(0);
    const json = JSON.parse(result.stdout);
    expect(json.summary).toHaveProperty('overallHealth');
    expect(typeof json.summary.actionable).toBe('number');
    expect(json.summary.actionable).toBeLessThanOrEqual(json.units.missing);
    expect(json.snoozed).toEqual(
      expect.arrayContaining([
        expect.objectContaining({
          scope: 'provider',
          provider: 'anthropic',
          reason: 'quota',
          by: 'cli:dana',
        }),
      ]),
    );
    expect(typeof json.snoozed[0].units).toBe('number');
  });
});

/** With Slack credentials, `sched snooze add` and `end` edit the reported night's message at once. */
describe.each(backends())('sched snooze with Slack on $name', (backend) => {
  let env: Record<string, string | undefined>;
  let close: () => Promise<void>;
  let api: LocalWebApi;

  beforeAll(async () => {
    api = new LocalWebApi({ token: BOT_TOKEN });
    await api.start();
    ({ env, close } = await cliEnvironment(backend, {
      SIMULATED_PROFILE: 'ideal',
      USER: 'dana',
      SLACK_BOT_TOKEN: BOT_TOKEN,
      SLACK_SIGNING_SECRET: 'cli-signing-secret',
      SLACK_API_URL: api.url,
      SLACK_REPORT_CHANNEL: REPORT_CHANNEL,
    }));
    expect((await sched(['seed', '--demo', '--orgs', '4'], env)).code).toBe(0);
  });
  afterAll(async () => {
    await close();
    await api.stop();
  });

  it('edits the report when a snooze starts and when it ends', async () => {
    expect((await sched(['trigger'], env)).code).toBe(0);
    expect((await sched(['postcheck'], env)).code).toBe(0);
    const [report] = api.callsTo('chat.postMessage');
    const ts = String(report?.response.ts);
    expect(messageText(report?.body)).not.toMatch(/snoozed/);

    const added = await sched(['snooze', 'add', '--provider', 'perplexity', '--for', '2h'], env);
    expect(added.code).toBe(0);
    const edits = () => api.callsTo('chat.update').filter((c) => c.body.ts === ts);
    expect(edits()).toHaveLength(1);
    expect(messageText(edits()[0]?.body)).toMatch(/units? snoozed: perplexity/);

    const id = /^Snooze (\d+):/.exec(added.stdout)?.[1];
    expect((await sched(['snooze', 'end', String(id)], env)).code).toBe(0);
    expect(edits()).toHaveLength(2);
    expect(messageText(edits()[1]?.body)).not.toMatch(/snoozed: perplexity/);
  });
});
