import { readFileSync } from 'node:fs';
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.ts';
import { queryRows } from '../../src/db/client.ts';
import { seedDemo } from '../../src/db/seed-demo.ts';
import { runPostcheck } from '../../src/scheduler/postcheck.ts';
import { backends, type TestDatabase } from '../support/db.ts';
import { setProviders } from '../support/insert-rows.ts';

/**
 * Operators keep saved queries from the old system's runbook. They must run unchanged against
 * our schema. The queries are copied verbatim from the runbook (test/fixtures keeps the copy so
 * the test does not depend on a path outside the repository).
 */
const runbook = readFileSync(new URL('../fixtures/scheduler-monitoring-guide.md', import.meta.url), 'utf8');
const queries = [...runbook.matchAll(/```sql\n([\s\S]*?)```/g)].flatMap((m) =>
  (m[1] as string)
    .split(/;\s*\n/)
    .map((q) => q.replace(/--[^\n]*\n/g, '').trim())
    .filter(Boolean),
);

describe.each(backends())('runbook monitoring SQL on $name', (backend) => {
  let database: TestDatabase;
  beforeAll(async () => {
    database = await backend.create();
    await setProviders(database.db, { openai: true, perplexity: true, anthropic: true, gemini: true });
    await seedDemo(database.db, { orgs: 6, promptsPerOrg: 3 });
    // Half of the active prompts answered today (server time), as a worker would have stored them.
    await database.db.execute(sql`
      insert into prompt_provider_responses (org_id, prompt_id, provider, model, run_date, run_at, status)
      select p.org_id, p.id, 'openai', 'm', current_date, now(), 'success'
      from prompts p where p.active and (select count(*) from prompts q where q.active and q.id < p.id) % 2 = 0`);
    await runPostcheck(
      {
        db: database.db,
        config: loadConfig({}),
        clock: () => new Date(),
      },
      { runDate: '2026-11-28', triggeredBy: 'test', scheduled: true },
    );
  });
  afterAll(async () => {
    await database.close();
  });

  it('finds the five queries of the runbook', () => {
    expect(queries).toHaveLength(5);
  });

  it("today's prompt coverage counts what ran today", async () => {
    const rows = await queryRows<{ total_active_prompts: string; prompts_run_today: string }>(
      database.db,
      sql.raw(queries[0] as string),
    );
    const active = await queryRows<{ n: number }>(
      database.db,
      sql`select count(*)::int as n from prompts where active`,
    );
    const ran = await queryRows<{ n: number }>(
      database.db,
      sql`select count(distinct prompt_id)::int as n from prompt_provider_responses where status = 'success'`,
    );
    expect(Number(rows[0]?.total_active_prompts)).toBe(active[0]?.n);
    expect(Number(rows[0]?.prompts_run_today)).toBe(ran[0]?.n);
  });

  it('missing prompts by organization lists the others', async () => {
    const rows = await queryRows<{ org_name: string; id: string; prompt_preview: string }>(
      database.db,
      sql.raw(queries[1] as string),
    );
    const missing = await queryRows<{ n: number }>(
      database.db,
      sql`select count(*)::int as n from prompts p where p.active and not exists (
            select 1 from prompt_provider_responses r where r.prompt_id = p.id and r.status = 'success')`,
    );
    expect(rows.length).toBe(missing[0]?.n);
    expect(rows[0]?.prompt_preview.endsWith('...')).toBe(true);
  });

  it('scheduler run history shows the postcheck health', async () => {
    const rows = await queryRows<{ function_name: string; health: string }>(
      database.db,
      sql.raw(queries[2] as string),
    );
    expect(rows.some((r) => r.function_name === 'scheduler-postcheck' && r.health !== null)).toBe(true);
  });

  it('the database log queries run', async () => {
    await expect(queryRows(database.db, sql.raw(queries[3] as string))).resolves.toBeInstanceOf(Array);
    await expect(queryRows(database.db, sql.raw(queries[4] as string))).resolves.toBeInstanceOf(Array);
  });
});
