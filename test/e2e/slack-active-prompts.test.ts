import { randomUUID } from 'node:crypto';
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildCommand } from '../../src/console/sign-request.ts';
import { queryOne } from '../../src/db/client.ts';
import { backends, type TestDatabase } from '../support/db.ts';
import { ADMIN, type SlackHarness, startSlackHarness } from '../support/fake-slack.ts';
import { insertOrgs, insertPrompts, type OrgInput, setProviders } from '../support/insert-rows.ts';
import { messageText } from '../support/slack-payloads.ts';

/**
 * The runbook's SQL counts every active prompt, the bot the expected ones: /sched-status, asked
 * over signed HTTP, says where the difference went, and its numbers add up to the runbook's.
 */

describe.each(backends())('/sched-status explains every excluded prompt on $name', (backend) => {
  let database: TestDatabase;
  let h: SlackHarness;

  beforeAll(async () => {
    database = await backend.create();
    h = await startSlackHarness(database.db);
    const org = (slug: string, plan: string, status: string): OrgInput => ({
      id: randomUUID(),
      name: slug,
      slug,
      plan,
      subscription_status: status,
      active: true,
    });
    const orgs: [OrgInput, number][] = [
      [org('growth-small', 'growth', 'active'), 3],
      // growth's quota is 100: two past it.
      [org('growth-big', 'growth', 'trialing'), 102],
      // starter allows openai and perplexity, both disabled below.
      [org('starter-idle', 'starter', 'active'), 27],
      [org('gone', 'pro', 'canceled'), 4],
    ];
    await setProviders(database.db, { openai: false, perplexity: false, anthropic: true, gemini: true });
    await insertOrgs(
      database.db,
      orgs.map(([o]) => o),
    );
    await insertPrompts(
      database.db,
      orgs.flatMap(([o, n]) =>
        Array.from({ length: n + 1 }, (_, i) => ({
          id: randomUUID(),
          org_id: o.id,
          text: `${o.slug} prompt ${i}`,
          // One inactive prompt per org: the runbook does not count it, nor does the line.
          active: i < n,
          created_at: new Date(Date.UTC(2026, 0, 1, 0, 0, i)).toISOString(),
        })),
      ),
    );
  });
  afterAll(async () => {
    await h?.stop();
    await database?.close();
  });

  it('gives one line whose groups sum to the runbook count of active prompts', async () => {
    const responseUrl = h.api.responseUrl('status');
    const res = await h.send(
      buildCommand({ command: '/sched-status', text: '', userId: ADMIN, responseUrl }),
    );
    expect(res.status).toBe(200);
    const answer = await h.api.waitFor((c) => c.responseId === 'status');
    const text = messageText(answer.body);
    expect(text).toContain(
      '136 active prompts: 103 expected, 4 in orgs not active or trialing, 2 over quota, 27 in orgs without an entitled provider',
    );
    const runbook = await queryOne<{ n: number }>(
      database.db,
      sql`select count(distinct p.id)::int as n from prompts p where p.active = true`,
    );
    expect(runbook?.n).toBe(136);
  });
});
