import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ACTION_IDS, CALLBACK_IDS } from '../../src/blocks/ids.ts';
import type { WebApiCall } from '../../src/console/local-web-api.ts';
import { buildBlockAction, buildCommand } from '../../src/console/sign-request.ts';
import { queryOne, queryRows } from '../../src/db/client.ts';
import { stableUuid } from '../../src/db/seed-demo.ts';
import { addDays, runDateOf } from '../../src/time/business-day.ts';
import type { TestDatabase } from '../support/db.ts';
import {
  ADMIN,
  backendsAndModes,
  nightWithFailures,
  OUTSIDER,
  type SlackHarness,
  startSlackHarness,
} from '../support/fake-slack.ts';
import { completeAllLive } from '../support/scheduler-deps.ts';
import { actionIds, actionValue, messageText } from '../support/slack-payloads.ts';
import { action, type Json } from '../support/view-inspect.ts';

/**
 * Every slash command end to end: signed requests over HTTP to the running app (and the same
 * requests as Socket Mode envelopes), answers read from the Web API stand-in. Each command acks before its answer is delivered, and every bad
 * argument (empty, 5,000 characters, quotes and SQL, unknown org, a date that does not exist)
 * gets one clear sentence.
 */

const LONG = 'x'.repeat(5_000);
const SQL_TEXT = `Robert'); DROP TABLE organizations; -- "quoted" \\ %_`;

describe.each(backendsAndModes())('slash commands on $name over $mode', ({ backend, mode }) => {
  let database: TestDatabase;
  let h: SlackHarness;
  let runDate: string;
  let seq = 0;

  /** Sends a command and returns the answer posted to its response_url. */
  async function command(name: string, text: string, userId = ADMIN): Promise<WebApiCall> {
    const responseId = `cmd${++seq}`;
    const request = buildCommand({ command: name, text, userId, responseUrl: h.api.responseUrl(responseId) });
    const res = await h.send(request);
    expect(res.status).toBe(200);
    return h.api.waitFor((c) => c.responseId === responseId);
  }

  /**
   * The ack must not wait for the answer: with every response_url post held open, the HTTP ack
   * still arrives (a handler that answered before acking would time out into Bolt's 404).
   */
  async function ackedBeforeAnswer(name: string, text: string): Promise<WebApiCall> {
    const responseId = `held${++seq}`;
    const release = h.api.holdResponses();
    try {
      const res = await h.send(
        buildCommand({ command: name, text, userId: ADMIN, responseUrl: h.api.responseUrl(responseId) }),
      );
      expect(res.status).toBe(200);
      return await h.api.waitFor((c) => c.responseId === responseId);
    } finally {
      release();
    }
  }

  const orgCount = async () =>
    (await queryOne<{ n: number }>(database.db, sql`select count(*)::int as n from organizations`))?.n;
  const rerunTasks = async () =>
    (
      await queryOne<{ n: number }>(
        database.db,
        sql`select count(*)::int as n from batch_tasks t join batch_jobs j on j.id = t.batch_job_id
            where j.source = 'rerun'`,
      )
    )?.n;

  /** The rerun tasks of one org, counted per provider. */
  const rerunTasksOf = async (slug: string) =>
    Object.fromEntries(
      (
        await queryRows<{ provider: string; n: number }>(
          database.db,
          sql`select t.provider, count(*)::int as n
              from batch_tasks t join batch_jobs j on j.id = t.batch_job_id join organizations o on o.id = t.org_id
              where j.source = 'rerun' and o.slug = ${slug} group by t.provider`,
        )
      ).map((row) => [row.provider, row.n]),
    );

  beforeAll(async () => {
    database = await backend.create();
    h = await startSlackHarness(database.db, { mode });
    runDate = runDateOf(h.deps.clock(), h.deps.config.timezone);
    await nightWithFailures(h.deps, runDate);
  });
  afterAll(async () => {
    await h?.stop();
    await database?.close();
  });

  describe('/sched-status', () => {
    it("acks first, then shows today's health, coverage, missing prompts per org and the buttons", async () => {
      const answer = await ackedBeforeAnswer('/sched-status', '');
      expect(answer.body.response_type).toBe('ephemeral');
      const text = messageText(answer.body);
      expect(text).toContain('Needs attention');
      expect(text).toContain('51/118');
      expect(text).toContain('Acme Analytics');
      expect(text).toMatch(/perplexity.*rate limited/);
      expect(actionIds(answer.body)).toEqual(
        expect.arrayContaining([ACTION_IDS.repair, ACTION_IDS.shareStatus, ACTION_IDS.openHistory]),
      );
    });

    it('shows one org, forgiving case and a typo', async () => {
      const answer = await command('/sched-status', 'ACME analitics');
      const text = messageText(answer.body);
      expect(text).toContain('Organization: *Acme Analytics*');
      expect(text).toContain('0/25');
    });

    it.each([
      ['a date that does not exist', '2026-02-30', '“2026-02-30” is not a date'],
      ['a date not reached yet', '2999-01-01', 'has not happened yet'],
      ['5,000 characters', LONG, '5000 characters long'],
      ['quotes and SQL', SQL_TEXT, 'No org matches'],
      ['an unknown org', 'zzqqxxyy', 'No org matches “zzqqxxyy”. Closest:'],
    ])('answers %s with one sentence', async (_, text, expected) => {
      const answer = await command('/sched-status', text);
      expect(answer.body.response_type).toBe('ephemeral');
      expect(answer.body.blocks).toHaveLength(1);
      expect(messageText(answer.body)).toContain(expected);
      expect(await orgCount()).toBe(6);
    });

    it('says so for a past day on which nothing ran', async () => {
      const answer = await command('/sched-status', addDays(runDate, -30));
      expect(messageText(answer.body)).toContain('Nothing ran on');
    });
  });

  describe('/sched-rerun', () => {
    it('refuses a non-admin and enqueues nothing', async () => {
      const answer = await command('/sched-rerun', 'acme-analytics', OUTSIDER);
      expect(messageText(answer.body)).toContain(`Only <@${ADMIN}>`);
      expect(await rerunTasks()).toBe(0);
    });

    it('acks first, then reruns the missing prompts of the org it finds, once', async () => {
      const answer = await ackedBeforeAnswer('/sched-rerun', 'Acme Analytics');
      expect(messageText(answer.body)).toContain(`Rerun of *Acme Analytics*`);
      expect(messageText(answer.body)).toContain('50 units');
      expect(await rerunTasks()).toBe(50);
      const again = await command('/sched-rerun', 'acme-analytics');
      expect(messageText(again.body)).toContain('Nothing to rerun');
      expect(await rerunTasks()).toBe(50);
    });

    it('opens the modal without an argument', async () => {
      const before = h.api.callsTo('views.open').length;
      await h.send(
        buildCommand({ command: '/sched-rerun', text: '', userId: ADMIN, responseUrl: h.api.responseUrl() }),
      );
      const empty = await h.api.waitFor(
        (c) => c.method === 'views.open' && h.api.callsTo('views.open').length > before,
      );
      expect((empty.body.view as { callback_id?: string }).callback_id).toBe(CALLBACK_IDS.rerunModal);
      expect(empty.body.trigger_id).toBeTruthy();
    });

    it('asks "Did you mean" for anything but an exact name, slug or id, and runs nothing on a guess', async () => {
      const before = await rerunTasks();
      const typo = await command('/sched-rerun', 'cobalt helth');
      expect(messageText(typo.body)).toContain('Did you mean');
      expect(messageText(typo.body)).toContain('Cobalt Health (cobalt-health)');
      const ambiguous = await command('/sched-rerun', 'o');
      expect(messageText(ambiguous.body)).toContain('Did you mean');
      expect(await rerunTasks()).toBe(before);
      // One click on a suggestion reruns that org.
      const pick = actionIds(typo.body).find((id) => id.startsWith('rerun_pick:'));
      const value = pick && actionValue(typo.body, pick);
      expect(pick && value).toBeTruthy();
      await h.send(
        buildBlockAction({
          actionId: String(pick),
          value: String(value),
          userId: ADMIN,
          responseUrl: h.api.responseUrl('picked'),
        }),
      );
      const picked = await h.api.waitFor((c) => c.responseId === 'picked');
      expect(messageText(picked.body)).toContain('*Cobalt Health*');
    });

    it('reruns one provider\'s failed units with --failed --provider, and the "Did you mean" buttons keep the scope', async () => {
      // Delta Logistics' gemini tries failed, and one of its gemini units never ran at all (no
      // task): a missing unit but not a failed one. Its perplexity units failed like every org's.
      await database.db.execute(sql`
        update batch_tasks t set status = 'failed', error_class = 'server'
        from organizations o
        where o.id = t.org_id and o.slug = 'delta-logistics' and t.run_date = ${runDate}::date
          and t.provider = 'gemini'`);
      await database.db.execute(sql`
        delete from prompt_provider_responses r using organizations o
        where o.id = r.org_id and o.slug = 'delta-logistics' and r.run_date = ${runDate}::date
          and r.provider = 'gemini'`);
      await database.db.execute(sql`
        delete from batch_tasks where id = (
          select t.id from batch_tasks t join organizations o on o.id = t.org_id
          where o.slug = 'delta-logistics' and t.run_date = ${runDate}::date and t.provider = 'gemini'
          order by t.id limit 1)`);
      const failedGemini = await rerunTasksOf('delta-logistics');
      expect(failedGemini).toEqual({});

      const answer = await command('/sched-rerun', 'delta-logistics --failed --provider gemini');
      const text = messageText(answer.body);
      expect(text).toContain('Rerun of *Delta Logistics*');
      expect(text).toContain('2 units (gemini 2), failed units only, gemini only');
      // Not its perplexity failures, nor the gemini unit that never ran.
      expect(await rerunTasksOf('delta-logistics')).toEqual({ gemini: 2 });

      // A guess with a scope: the buttons carry it, and the click reruns only that.
      const typo = await command('/sched-rerun', 'fjord softwar --failed --provider openai');
      expect(messageText(typo.body)).toContain('Did you mean one of these (failed units only, openai only)?');
      const fjord = stableUuid('org:fjord-software');
      const pick = actionIds(typo.body).find(
        (id) => id.startsWith('rerun_pick:') && actionValue(typo.body, id)?.includes(fjord),
      );
      expect(pick).toBeDefined();
      await h.send(
        buildBlockAction({
          actionId: String(pick),
          value: String(pick && actionValue(typo.body, pick)),
          userId: ADMIN,
          responseUrl: h.api.responseUrl('picked-scoped'),
        }),
      );
      const picked = await h.api.waitFor((c) => c.responseId === 'picked-scoped');
      // Fjord's only failures are perplexity's: with openai only there is nothing to rerun.
      expect(messageText(picked.body)).toContain('Nothing to rerun for *Fjord Software* on');
      expect(messageText(picked.body)).toContain('(failed units only, openai only)');
      expect(await rerunTasksOf('fjord-software')).toEqual({});
    });

    it('presets the modal from the flags, and answers a bad flag with one sentence', async () => {
      const before = h.api.callsTo('views.update').length;
      await h.send(
        buildCommand({
          command: '/sched-rerun',
          text: '--failed --provider gemini',
          userId: ADMIN,
          responseUrl: h.api.responseUrl(),
        }),
      );
      // The admin's modal is filled in with the estimate: the presets survive the update.
      const filled = await h.api.waitFor(
        (c) => c.method === 'views.update' && h.api.callsTo('views.update').length > before,
      );
      const view = filled.body.view as Json;
      expect(action(view, ACTION_IDS.rerunModalScope)?.initial_option.value).toBe('failed');
      expect(action(view, ACTION_IDS.rerunModalProvider)?.initial_option.value).toBe('gemini');

      const rerunsBefore = await rerunTasks();
      for (const [text, sentence] of [
        ['acme-analytics --failed --all', '--failed and --all exclude each other'],
        ['acme-analytics --provider mistral', 'I do not know the provider “mistral”'],
      ]) {
        const answer = await command('/sched-rerun', String(text));
        expect(answer.body.response_type).toBe('ephemeral');
        expect(messageText(answer.body)).toContain(sentence);
      }
      expect(await rerunTasks()).toBe(rerunsBefore);
    });

    it.each([
      ['5,000 characters', LONG, 'longer than any org name'],
      ['quotes and SQL', SQL_TEXT, 'Did you mean'],
      ['an unknown org', 'zzqqxxyy', 'Did you mean'],
    ])('answers %s with one sentence', async (_, text, expected) => {
      const answer = await command('/sched-rerun', text);
      expect((answer.body.blocks as unknown[]).length).toBeLessThanOrEqual(2);
      expect(messageText(answer.body)).toContain(expected);
      expect(await orgCount()).toBe(6);
    });

    it('asks for --confirm before a second "every unit" rerun of the org, and runs it with --confirm', async () => {
      // Birch Labs' night is over (16 units, none live): --all asks every unit for a fresh answer.
      const first = await command('/sched-rerun', 'birch-labs --all');
      expect(messageText(first.body)).not.toContain('already had fresh answers');
      expect(await rerunTasksOf('birch-labs')).toEqual({ openai: 4, anthropic: 4, gemini: 4, perplexity: 4 });
      await completeAllLive(database.db, runDate, h.deps.clock());

      const again = await command('/sched-rerun', 'birch-labs --all');
      expect(again.body.response_type).toBe('ephemeral');
      expect(messageText(again.body)).toMatch(
        new RegExp(`already had fresh answers: a rerun of every unit by slack:${ADMIN}.*add --confirm`),
      );
      expect(Object.values(await rerunTasksOf('birch-labs'))).toEqual([4, 4, 4, 4]);

      const confirmed = await command('/sched-rerun', 'birch-labs --all --confirm');
      expect(messageText(confirmed.body)).not.toContain('already had fresh answers');
      expect(Object.values(await rerunTasksOf('birch-labs'))).toEqual([8, 8, 8, 8]);
    });

    it('tells the user in one sentence when Slack refuses to open the modal', async () => {
      h.api.failNext('views.open', { error: 'expired_trigger_id' });
      const answer = await command('/sched-rerun', '');
      expect(messageText(answer.body)).toContain('Something went wrong on my side');
    });
  });

  describe('/sched-history', () => {
    it('acks first, then lists the nights with paging', async () => {
      const answer = await ackedBeforeAnswer('/sched-history', '');
      const text = messageText(answer.body);
      expect(text).toContain('Nightly history');
      expect(actionIds(answer.body)).toContain(`open_night:${runDate}`);
    });

    it.each([
      ['nonsense', 'abc', 'is not a number of days'],
      ['zero', '0', 'from 1 to'],
      ['5,000 characters', LONG, 'is not a number of days'],
      ['quotes and SQL', SQL_TEXT, 'is not a number of days'],
      ['too many days', '100000', 'from 1 to'],
    ])('answers %s with one sentence', async (_, text, expected) => {
      const answer = await command('/sched-history', text);
      expect(answer.body.blocks).toHaveLength(1);
      expect(messageText(answer.body)).toContain(expected);
    });
  });
});
