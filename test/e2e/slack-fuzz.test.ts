import { sql } from 'drizzle-orm';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ACTION_IDS, BLOCK_IDS, CALLBACK_IDS, SLASH_COMMANDS } from '../../src/blocks/ids.ts';
import {
  buildBlockAction,
  buildCommand,
  buildOptionsRequest,
  buildViewSubmission,
  type SlackRequest,
} from '../../src/console/sign-request.ts';
import { queryRows } from '../../src/db/client.ts';
import { runDateOf } from '../../src/time/business-day.ts';
import { backends, type TestDatabase } from '../support/db.ts';
import {
  ADMIN,
  nightWithFailures,
  OUTSIDER,
  type SlackHarness,
  startSlackHarness,
} from '../support/fake-slack.ts';

/**
 * Random signed requests through the real HTTP receiver: odd bodies (null, arrays, numbers,
 * half-formed payloads), every slash command with random text, every button with random values,
 * options requests and modal submissions, all from a user who may change nothing. Whatever
 * arrives, the process answers (no unhandled rejection: vitest fails the run on one), every
 * answer is an HTTP status Slack understands, and the database is exactly as it was.
 */

const TABLES = [
  'organizations',
  'prompts',
  'batch_jobs',
  'batch_tasks',
  'scheduler_runs',
  'prompt_provider_responses',
  'slack_reports',
  'providers',
];

const anyJson = fc.oneof(
  fc.constant(null),
  fc.integer(),
  fc.string(),
  fc.boolean(),
  fc.array(fc.jsonValue(), { maxLength: 3 }),
  fc.jsonValue(),
);

describe.each(backends())('random signed requests on $name', (backend) => {
  let database: TestDatabase;
  let h: SlackHarness;
  let runDate = '2026-01-01';

  const snapshot = async () => {
    const out: Record<string, unknown> = {};
    for (const table of TABLES) {
      out[table] = await queryRows(
        database.db,
        sql.raw(
          `select md5(coalesce(string_agg(t::text, '|' order by t::text), '')) as h, count(*)::int as n from ${table} t`,
        ),
      );
    }
    return out;
  };

  beforeAll(async () => {
    database = await backend.create();
    h = await startSlackHarness(database.db);
    runDate = runDateOf(h.deps.clock(), h.deps.config.timezone);
    await nightWithFailures(h.deps, runDate);
  });
  afterAll(async () => {
    await h?.stop();
    await database?.close();
  });

  const form = (body: string): SlackRequest => ({ contentType: 'application/x-www-form-urlencoded', body });

  const request: fc.Arbitrary<SlackRequest> = fc.oneof(
    anyJson.map((v) => form(`payload=${encodeURIComponent(JSON.stringify(v))}`)),
    anyJson.map((v) => ({ contentType: 'application/json' as const, body: JSON.stringify(v) })),
    fc.string().map((s) => form(`payload=${encodeURIComponent(s)}`)),
    fc
      .record({
        type: fc.constantFrom('block_actions', 'view_submission', 'block_suggestion', 'event_callback'),
        rest: fc.dictionary(fc.string({ maxLength: 8 }), anyJson, { maxKeys: 4 }),
      })
      .map(({ type, rest }) => form(`payload=${encodeURIComponent(JSON.stringify({ ...rest, type }))}`)),
    fc
      .tuple(fc.constantFrom(...SLASH_COMMANDS), fc.string({ maxLength: 300 }))
      .map(([command, text]) =>
        buildCommand({ command, text, userId: OUTSIDER, responseUrl: h.api.responseUrl() }),
      ),
    fc
      .tuple(
        fc.constantFrom(...Object.values(ACTION_IDS), `open_night:${runDate}`, 'rerun_pick:0', 'unknown'),
        fc.string({ maxLength: 200 }),
      )
      .map(([actionId, value]) =>
        buildBlockAction({ actionId, value, userId: OUTSIDER, responseUrl: h.api.responseUrl() }),
      ),
    fc
      .string({ maxLength: 200 })
      .map((value) => buildOptionsRequest({ actionId: ACTION_IDS.rerunModalOrg, value, userId: OUTSIDER })),
    fc.tuple(fc.string({ maxLength: 60 }), fc.string({ maxLength: 300 })).map(([org, metadata]) =>
      buildViewSubmission({
        callbackId: CALLBACK_IDS.rerunModal,
        userId: OUTSIDER,
        privateMetadata: metadata,
        values: {
          [BLOCK_IDS.rerunModalOrg]: {
            [ACTION_IDS.rerunModalOrg]: { type: 'external_select', selected_option: { value: org } },
          },
          [BLOCK_IDS.rerunModalScope]: {
            [ACTION_IDS.rerunModalScope]: { type: 'radio_buttons', selected_option: { value: 'all' } },
          },
        },
      }),
    ),
  );

  it('answers every one, and none of them changes the database', async () => {
    const before = await snapshot();
    await fc.assert(
      fc.asyncProperty(request, async (req) => {
        const res = await h.send(req);
        expect([200, 400, 401, 404]).toContain(res.status);
      }),
      { numRuns: 120 },
    );
    // The process still answers a real command, and nothing the random requests did (after
    // their acks included) changed a row.
    const after = await h.send(
      buildCommand({ command: '/sched-history', userId: ADMIN, responseUrl: h.api.responseUrl('alive') }),
    );
    expect(after.status).toBe(200);
    await h.api.waitFor((c) => c.responseId === 'alive');
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(await snapshot()).toEqual(before);
  }, 300_000);
});
