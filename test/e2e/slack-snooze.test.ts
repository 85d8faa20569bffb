import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildBlockAction, buildCommand } from '../../src/console/sign-request.ts';
import { queryRows } from '../../src/db/client.ts';
import { slackNightReporter } from '../../src/report/slack-night-reporter.ts';
import type { StepDeps } from '../../src/scheduler/night-reporter.ts';
import { postcheckStep } from '../../src/scheduler/postcheck-step.ts';
import { postOverSnoozes } from '../../src/scheduler/snooze-expiry.ts';
import { recordedReport } from '../../src/store/slack-reports.ts';
import { endSnooze } from '../../src/store/snoozes.ts';
import { runDateOf } from '../../src/time/business-day.ts';
import type { TestDatabase } from '../support/db.ts';
import {
  ADMIN,
  backendsAndModes,
  nightWithFailures,
  REPORT_CHANNEL,
  type SlackHarness,
  startSlackHarness,
} from '../support/fake-slack.ts';
import { actionIds, messageText } from '../support/slack-payloads.ts';

const STRANGER = 'U0STRANGER';

/**
 * Snoozing end to end, signed, against the loopback Web API: /sched-snooze (admins only, one
 * sentence for bad input), the report's Snooze overflow on provider and org lines, the snoozed
 * units shown apart in the report, and the one "snooze over" line in the report's thread.
 */
describe.each(backendsAndModes())('snoozes in Slack on $name over $mode', ({ backend, mode }) => {
  let database: TestDatabase;
  let h: SlackHarness;
  let runDate: string;
  let steps: StepDeps;
  let answers = 0;

  const command = async (text: string, userId = ADMIN) => {
    const id = `snooze-${++answers}`;
    const res = await h.send(
      buildCommand({ command: '/sched-snooze', text, userId, responseUrl: h.api.responseUrl(id) }),
    );
    expect(res.status).toBe(200);
    return h.api.waitFor((c) => c.responseId === id);
  };
  const snoozeRows = () =>
    queryRows<{
      id: number;
      scope: string;
      provider: string | null;
      org_id: string | null;
      created_by: string;
    }>(database.db, sql`select id, scope, provider, org_id, created_by from snoozes order by id`);

  beforeAll(async () => {
    database = await backend.create();
    h = await startSlackHarness(database.db, { mode });
    runDate = runDateOf(h.deps.clock(), h.deps.config.timezone);
    await nightWithFailures(h.deps, runDate);
    steps = {
      ...h.slack.deps,
      reporter: slackNightReporter({ ...h.slack.deps, client: h.slack.app.client }),
    };
  });
  afterAll(async () => {
    await h?.stop();
    await database?.close();
  });

  it('refuses a non-admin and bad input in one sentence, and snoozes for an admin', async () => {
    const denied = await command('perplexity 2h', STRANGER);
    expect(messageText(denied.body)).toMatch(/admin/i);
    expect(await snoozeRows()).toEqual([]);

    // A word that is no provider is read as an org: one sentence, with the closest names.
    expect(messageText((await command('grok 2h')).body)).toContain('No org is called “grok”');
    expect(messageText((await command('2h')).body)).toContain(
      'Give a duration or an end time after what to snooze',
    );
    expect(messageText((await command('perplexity soon')).body)).toContain('Give a duration or an end time');
    expect(messageText((await command('zzqxv-no-such-org 2h')).body)).toContain('No org is called');
    expect(await snoozeRows()).toEqual([]);

    const ok = await command('perplexity until 2h vendor maintenance');
    expect(ok.body.response_type).toBe('in_channel');
    expect(messageText(ok.body)).toMatch(
      /😴 Snoozed perplexity until <!date\^\d+\^\{time\}\|[^>]+> \(vendor maintenance\), by <@U0ADMIN01>/,
    );
    expect(await snoozeRows()).toMatchObject([
      { scope: 'provider', provider: 'perplexity', created_by: ADMIN },
    ]);
  });

  it('shows snoozed units apart in the report, with a Snooze menu on provider and org lines', async () => {
    await postcheckStep(steps, { runDate, triggeredBy: 'scheduler' });
    const posted = h.api
      .callsTo('chat.postMessage')
      .find((c) => !c.body.thread_ts && c.body.channel === REPORT_CHANNEL);
    const text = messageText(posted?.body);
    expect(text).toMatch(/\d+ units? snoozed: perplexity until .+ \(vendor maintenance\)/);
    const ids = actionIds(posted?.body);
    expect(ids.filter((id) => id.startsWith('snooze:provider:')).length).toBeGreaterThan(0);
    expect(ids.filter((id) => id.startsWith('snooze:org:')).length).toBeGreaterThan(0);
  });

  it('snoozes an org from the overflow, for admins only', async () => {
    const report = await recordedReport(database.db, { runDate, channel: REPORT_CHANNEL });
    const message = h.api.message(REPORT_CHANNEL, String(report?.ts));
    const blocks = (
      message as { blocks?: { accessory?: { action_id?: string; options?: { value: string }[] } }[] }
    ).blocks;
    const menu = blocks?.find((b) => b.accessory?.action_id === 'snooze:org:0')?.accessory;
    const value = menu?.options?.find((o) => o.value.includes('until-success'))?.value ?? '';
    expect(value).toMatch(/"o":/);
    const click = (userId: string, id: string) =>
      buildBlockAction({
        actionId: 'snooze:org:0',
        userId,
        responseUrl: h.api.responseUrl(id),
        container: { channelId: REPORT_CHANNEL, messageTs: String(report?.ts) },
        action: { type: 'overflow', selected_option: { value } },
      });
    expect((await h.send(click(STRANGER, 'overflow-denied'))).status).toBe(200);
    const denied = await h.api.waitFor((c) => c.responseId === 'overflow-denied');
    expect(messageText(denied.body)).toMatch(/admin/i);
    expect((await snoozeRows()).filter((r) => r.scope === 'org')).toEqual([]);

    const before = h.api.calls.length;
    expect((await h.send(click(ADMIN, 'overflow-ok'))).status).toBe(200);
    const ok = await h.api.waitFor((c) => c.responseId === 'overflow-ok');
    expect(messageText(ok.body)).toMatch(
      /😴 Snoozed .+ until its next success( \([^)]*\))?, by <@U0ADMIN01>/,
    );
    const org = (await snoozeRows()).filter((r) => r.scope === 'org');
    expect(org).toHaveLength(1);
    expect(value).toContain(String(org[0]?.org_id));
    // The report shows the new snooze at once, not at the next postcheck.
    const edited = await h.api.waitFor(
      (c) => c.method === 'chat.update' && c.seq > before && c.body.ts === report?.ts,
    );
    expect(messageText(edited.body)).toMatch(/until its next success/);
  });

  it('snoozes a provider from its line, for admins only', async () => {
    const report = await recordedReport(database.db, { runDate, channel: REPORT_CHANNEL });
    const message = h.api.message(REPORT_CHANNEL, String(report?.ts));
    const blocks = (
      message as { blocks?: { accessory?: { action_id?: string; options?: { value: string }[] } }[] }
    ).blocks;
    const menu = blocks?.find((b) => b.accessory?.action_id?.startsWith('snooze:provider:'))?.accessory;
    const value = menu?.options?.[0]?.value ?? '';
    const provider = /"p":"(\w+)"/.exec(value)?.[1];
    expect(provider).toBeDefined();
    const click = (userId: string, id: string) =>
      buildBlockAction({
        actionId: String(menu?.action_id),
        userId,
        responseUrl: h.api.responseUrl(id),
        container: { channelId: REPORT_CHANNEL, messageTs: String(report?.ts) },
        action: { type: 'overflow', selected_option: { value } },
      });
    const providerSnoozes = async () =>
      (await snoozeRows()).filter((r) => r.scope === 'provider' && r.provider === provider);
    expect((await h.send(click(STRANGER, 'provider-denied'))).status).toBe(200);
    expect(messageText((await h.api.waitFor((c) => c.responseId === 'provider-denied')).body)).toMatch(
      /admin/i,
    );
    const already = (await providerSnoozes()).length;
    expect((await h.send(click(ADMIN, 'provider-ok'))).status).toBe(200);
    const ok = await h.api.waitFor((c) => c.responseId === 'provider-ok');
    expect(messageText(ok.body)).toContain(`😴 Snoozed ${provider}`);
    expect(await providerSnoozes()).toHaveLength(already + 1);
  });

  it('posts one line in the report thread when a snooze is over', async () => {
    const [first] = await snoozeRows();
    await endSnooze(database.db, { id: Number(first?.id), endedBy: ADMIN, now: h.deps.clock() });
    const now = h.deps.clock();
    const rounds = await Promise.all([1, 2, 3].map(() => postOverSnoozes(steps, { now })));
    expect(rounds.flat()).toEqual([Number(first?.id)]);
    const report = await recordedReport(database.db, { runDate, channel: REPORT_CHANNEL });
    const lines = h.api
      .callsTo('chat.postMessage')
      .filter((c) => c.body.thread_ts === report?.ts && messageText(c.body).includes('The snooze on'));
    expect(lines).toHaveLength(1);
    expect(messageText(lines[0]?.body)).toContain(
      'The snooze on perplexity (vendor maintenance) ended early by <@U0ADMIN01>',
    );
  });
});
