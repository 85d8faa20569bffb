import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ACTION_PREFIXES } from '../../src/blocks/ids.ts';
import { decodeRepairScope, encodeRepairScope } from '../../src/blocks/values.ts';
import { buildBlockAction } from '../../src/console/sign-request.ts';
import { queryOne, queryRows } from '../../src/db/client.ts';
import { createProviderAdapters } from '../../src/providers/registry.ts';
import { startWorker } from '../../src/scheduler/worker.ts';
import { ACTIVE_REPAIR_FUNCTION } from '../../src/store/scheduler-runs.ts';
import type { TestDatabase } from '../support/db.ts';
import {
  ADMIN,
  backendsAndModes,
  OUTSIDER,
  postedFailedNight,
  REPORT_CHANNEL,
  type SlackHarness,
  startSlackHarness,
} from '../support/fake-slack.ts';
import { actionIds, actionValue, messageText } from '../support/slack-payloads.ts';

/**
 * Issue 12, "one line per root cause", through signed requests (or Socket Mode envelopes) and the
 * Web API stand-in. nightWithFailures fails every perplexity unit (42, rate limited, in all 5
 * orgs) and, in Acme Analytics only, every openai unit (25, server errors). The report shows
 * perplexity as one line with "Retry Perplexity only", and lists only Acme's own misses; a
 * non-admin's click changes nothing; an admin's click enqueues perplexity's 42 units, nothing else.
 */
describe.each(backendsAndModes())(
  'Retry one provider from the report on $name over $mode',
  ({ backend, mode }) => {
    let database: TestDatabase;
    let h: SlackHarness;
    let runDate: string;
    let reportTs: string;
    const retryId = `${ACTION_PREFIXES.retryProvider}perplexity`;

    /** The tasks of the night's repairs, per provider. */
    const repairTasks = async () =>
      queryRows<{ provider: string; tasks: number; triggered_by: string }>(
        database.db,
        sql`select t.provider, count(*)::int as tasks, j.triggered_by
          from batch_jobs j join batch_tasks t on t.batch_job_id = j.id
          where j.run_date = ${runDate}::date and j.source = 'repair'
          group by t.provider, j.triggered_by order by t.provider`,
      );

    const click = (userId: string, responseUrl: string, value?: string) =>
      buildBlockAction({
        actionId: retryId,
        value: value ?? encodeRepairScope({ runDate, units: 'missing', provider: 'perplexity' }),
        userId,
        responseUrl,
        container: { channelId: REPORT_CHANNEL, messageTs: reportTs },
      });

    beforeAll(async () => {
      database = await backend.create();
      h = await startSlackHarness(database.db, { mode });
      ({ runDate, reportTs } = await postedFailedNight(h));
    });
    afterAll(async () => {
      await h?.stop();
      await database?.close();
    });

    it('posts one line for perplexity with its Retry button, and an org list of the orgs’ own misses', async () => {
      const [post] = h.api.callsTo('chat.postMessage');
      const text = messageText(post?.body);
      expect(text).toContain(
        '🔥 *Perplexity*: 42 failures across 5 orgs (100% of its units), all rate limited (HTTP 429)',
      );
      expect(text).toContain('Retry Perplexity only');
      expect(decodeRepairScope(actionValue(post?.body, retryId))).toEqual({
        runDate,
        units: 'missing',
        provider: 'perplexity',
      });
      expect(text).toMatch(/Re-run 42 missing Perplexity units in 5 orgs/);
      // Only Acme's openai failures are left in the list; the other four orgs had only perplexity's.
      expect(text).toContain('25 prompts not fully covered in 1 org · 42 more units under Perplexity above');
      const orgLines = text.match(/^• \*[^*]+\*: \d+ prompts? not fully covered.*$/gm) ?? [];
      expect(orgLines).toEqual([
        expect.stringMatching(/^• \*Acme Analytics\*: 25 prompts .* · openai provider server error 25$/),
      ]);
      expect(actionIds(post?.body)).toContain(retryId);
    });

    it("refuses a non-admin's click with one sentence and enqueues nothing", async () => {
      const before = h.api.calls.length;
      const url = h.api.responseUrl();
      expect((await h.send(click(OUTSIDER, url))).status).toBe(200);
      const answer = await h.api.waitFor((c) => c.method === 'response_url' && c.body && c.seq > before);
      expect(messageText(answer.body)).toContain(`Only <@${ADMIN}>`);
      expect(await repairTasks()).toEqual([]);
      expect(h.api.message(REPORT_CHANNEL, reportTs)?.edits).toBe(0);
    });

    it('answers a value it cannot read with a usage sentence and enqueues nothing', async () => {
      const url = h.api.responseUrl('bad');
      const forged = JSON.stringify({ runDate, units: 'all', provider: 'perplexity' });
      expect((await h.send(click(ADMIN, url, forged))).status).toBe(200);
      const answer = await h.api.waitFor((c) => c.responseId === 'bad');
      expect(messageText(answer.body)).toContain('no provider I can read');
      expect(await repairTasks()).toEqual([]);
    });

    it("enqueues only perplexity's missing units on an admin's click, and the report says the repair started", async () => {
      expect((await h.send(click(ADMIN, h.api.responseUrl('admin')))).status).toBe(200);
      const started = await h.api.waitFor(
        (c) => c.method === 'chat.update' && messageText(c.body).includes('Repair started by'),
      );
      expect(started.body.ts).toBe(reportTs);
      expect(messageText(started.body)).toContain(`Repair started by <@${ADMIN}>: 42 units`);
      // Acme's 25 openai failures stay as they are: the retry was perplexity only.
      expect(await repairTasks()).toEqual([
        { provider: 'perplexity', tasks: 42, triggered_by: `slack:${ADMIN}` },
      ]);
    });

    it('brings perplexity back: the final report has no root-cause line and still lists Acme', async () => {
      const worker = startWorker(h.deps, {
        adapters: createProviderAdapters(h.deps.config),
        concurrency: 8,
        drain: true,
        pollIntervalMs: 20,
      });
      expect((await worker.done).succeeded).toBe(42);
      const finished = await h.api.waitFor(
        (c) => c.method === 'chat.update' && messageText(c.body).includes('finished'),
      );
      expect(finished.body.ts).toBe(reportTs);
      const final = messageText(h.api.message(REPORT_CHANNEL, reportTs));
      expect(final).not.toContain('🔥');
      expect(final).toContain('*Acme Analytics*: 25 prompts not fully covered');
      expect(actionIds(h.api.message(REPORT_CHANNEL, reportTs))).not.toContain(retryId);
      const claim = await queryOne<{ status: string }>(
        database.db,
        sql`select status from scheduler_runs where function_name = ${ACTIVE_REPAIR_FUNCTION} and run_key = ${runDate}`,
      );
      expect(claim?.status).toBe('completed');
    });
  },
);
