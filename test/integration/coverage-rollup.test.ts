import { sql } from 'drizzle-orm';
import fc from 'fast-check';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { queryCoverage } from '../../src/coverage/coverage-query.ts';
import { type Db, queryRows } from '../../src/db/client.ts';
import { queryCoverageByUnits } from '../support/coverage-by-units.ts';
import { backends, sharedBackends, type TestDatabase, truncateAll } from '../support/db.ts';
import { setProviders } from '../support/insert-rows.ts';

/**
 * coverage_rollup is kept by statement triggers on prompt_provider_responses, whatever writes the
 * rows: the rollup-based coverage must give the very document the unit-by-unit statement gave
 * (kept in test/support as the oracle), after inserts of one row or many, duplicate successes,
 * updates, deletes and cascades, with live, failed and cancelled tasks.
 */

const DAY = '2026-11-27';
const OTHER = '2026-11-26';
const PROVIDERS = ['anthropic', 'gemini', 'openai', 'perplexity'] as const;
const uuid = (kind: number, n: number) => `00000000-0000-4000-8${kind}00-${n.toString(16).padStart(12, '0')}`;

const unitArbitrary = fc.record({
  prompt: fc.nat(),
  provider: fc.constantFrom(...PROVIDERS),
  day: fc.constantFrom(DAY, DAY, DAY, OTHER),
});

const worldArbitrary = fc.record({
  orgs: fc.array(
    fc.record({
      plan: fc.constantFrom('starter', 'growth', 'pro', 'enterprise'),
      subscription_status: fc.constantFrom('active', 'active', 'trialing', 'canceled'),
      active: fc.constantFrom(true, true, true, false),
      completedJob: fc.boolean(),
      // The night of DAY as workers would leave it: every unit of the org has a task, in these
      // statuses in turn, and each completed one a success (all in one multi-row statement).
      night: fc.option(
        fc.array(fc.constantFrom('completed', 'completed', 'completed', 'failed', 'pending', 'cancelled'), {
          minLength: 1,
          maxLength: 8,
        }),
        { nil: undefined },
      ),
      // Up to 30: a starter org (quota 25) can be over its quota.
      prompts: fc.array(fc.record({ active: fc.constantFrom(true, true, true, false), minute: fc.nat(20) }), {
        maxLength: 30,
      }),
    }),
    { minLength: 1, maxLength: 4 },
  ),
  enabled: fc.record({
    anthropic: fc.boolean(),
    gemini: fc.boolean(),
    openai: fc.constantFrom(true, true, false),
    perplexity: fc.boolean(),
  }),
  tasks: fc.array(
    fc.record({
      unit: unitArbitrary,
      status: fc.constantFrom('pending', 'processing', 'completed', 'failed', 'failed', 'cancelled'),
      errorClass: fc.constantFrom(null, 'rate_limited', 'timeout', 'auth'),
      minute: fc.nat(30),
    }),
    { maxLength: 60 },
  ),
  // Each inner array is one INSERT statement; units repeat on purpose (a second success).
  statements: fc.array(
    fc.array(fc.record({ unit: unitArbitrary, status: fc.constantFrom('success', 'success', 'error') }), {
      minLength: 1,
      maxLength: 12,
    }),
    { maxLength: 14 },
  ),
  flips: fc.array(fc.nat(), { maxLength: 6 }),
  moves: fc.array(fc.nat(), { maxLength: 3 }),
  deletes: fc.array(fc.nat(), { maxLength: 6 }),
  deletePrompt: fc.option(fc.nat(), { nil: undefined }),
  deactivate: fc.array(fc.nat(), { maxLength: 3 }),
});
type World = typeof worldArbitrary extends fc.Arbitrary<infer T> ? T : never;

async function load(db: Db, world: World): Promise<void> {
  await setProviders(db, world.enabled);
  const orgs = world.orgs.map((o, i) => ({ ...o, id: uuid(1, i), name: `Org ${i}`, slug: `org-${i}` }));
  const prompts = orgs.flatMap((o) => o.prompts.map((p) => ({ ...p, org_id: o.id })));
  const promptRows = prompts.map((p, i) => ({
    id: uuid(2, i),
    org_id: p.org_id,
    text: `prompt ${i} ${'x'.repeat(i % 3 === 0 ? 90 : 3)}`,
    active: p.active,
    created_at: new Date(Date.UTC(2026, 0, 1, 0, p.minute)).toISOString(),
  }));
  await db.execute(sql`
    insert into organizations (id, name, slug, plan, subscription_status, active)
    select id, name, slug, plan, subscription_status, active
    from jsonb_to_recordset(${JSON.stringify(orgs)}::jsonb)
      as x(id uuid, name text, slug text, plan text, subscription_status text, active boolean)`);
  if (promptRows.length === 0) return;
  await db.execute(sql`
    insert into prompts (id, org_id, text, active, created_at)
    select id, org_id, text, active, created_at
    from jsonb_to_recordset(${JSON.stringify(promptRows)}::jsonb)
      as x(id uuid, org_id uuid, text text, active boolean, created_at timestamptz)`);
  await db.execute(sql`
    insert into batch_jobs (org_id, run_date, source, status, triggered_by)
    select o.id, d.day, 'nightly', case when x.completed then 'completed' else 'processing' end, 'test'
    from jsonb_to_recordset(${JSON.stringify(orgs.map((o) => ({ id: o.id, completed: o.completedJob })))}::jsonb)
      as x(id uuid, completed boolean)
    join organizations o on o.id = x.id
    cross join (values (${DAY}::date), (${OTHER}::date)) d(day)`);

  for (const org of orgs) {
    if (!org.night) continue;
    const units = promptRows
      .filter((p) => p.org_id === org.id)
      .flatMap((p) => PROVIDERS.map((provider) => ({ prompt_id: p.id, org_id: p.org_id, provider })));
    const statuses = org.night;
    const night = units.map((u, i) => ({ ...u, status: statuses[i % statuses.length] as string }));
    if (night.length === 0) continue;
    await db.execute(sql`
      insert into batch_tasks (batch_job_id, org_id, prompt_id, provider, run_date, status, error_class, last_error)
      select j.id, x.org_id, x.prompt_id, x.provider, ${DAY}::date, x.status,
             case when x.status = 'failed' then 'server' end, case when x.status = 'failed' then '500' end
      from jsonb_to_recordset(${JSON.stringify(night)}::jsonb)
        as x(org_id uuid, prompt_id uuid, provider text, status text)
      join batch_jobs j on j.org_id = x.org_id and j.run_date = ${DAY}::date`);
    await db.execute(sql`
      insert into prompt_provider_responses (batch_task_id, org_id, prompt_id, provider, model, run_date, status)
      select t.id, t.org_id, t.prompt_id, t.provider, 'm', t.run_date,
             case when t.status = 'completed' then 'success' else 'error' end
      from batch_tasks t
      where t.org_id = ${org.id}::uuid and t.run_date = ${DAY}::date and t.status in ('completed', 'failed')`);
  }

  const unitOf = (u: World['tasks'][number]['unit']) => {
    const prompt = promptRows[u.prompt % promptRows.length] as (typeof promptRows)[number];
    return { prompt_id: prompt.id, org_id: prompt.org_id, provider: u.provider, run_date: u.day };
  };
  // At most one live task per unit (batch_tasks_one_live_per_unit).
  const live = new Set<string>(
    orgs
      .filter((o) => o.night)
      .flatMap((o) => promptRows.filter((p) => p.org_id === o.id))
      .flatMap((p) => PROVIDERS.map((provider) => `${p.id}|${provider}|${DAY}`)),
  );
  const tasks = world.tasks
    .map((t) => ({ ...unitOf(t.unit), status: t.status, error_class: t.errorClass, minute: t.minute }))
    .filter((t) => {
      if (t.status !== 'pending' && t.status !== 'processing') return true;
      const key = `${t.prompt_id}|${t.provider}|${t.run_date}`;
      if (live.has(key)) return false;
      live.add(key);
      return true;
    });
  if (tasks.length > 0) {
    await db.execute(sql`
      insert into batch_tasks (batch_job_id, org_id, prompt_id, provider, run_date, status, error_class,
                               last_error, created_at)
      select j.id, x.org_id, x.prompt_id, x.provider, x.run_date, x.status, x.error_class,
             case when x.error_class is not null then 'boom: ' || x.error_class end,
             timestamptz '2026-11-27 23:00' + x.minute * interval '1 minute'
      from jsonb_to_recordset(${JSON.stringify(tasks)}::jsonb)
        as x(org_id uuid, prompt_id uuid, provider text, run_date date, status text, error_class text, minute int)
      join batch_jobs j on j.org_id = x.org_id and j.run_date = x.run_date`);
  }

  for (const statement of world.statements) {
    const rows = statement.map((r) => ({ ...unitOf(r.unit), status: r.status }));
    await db.execute(sql`
      insert into prompt_provider_responses (org_id, prompt_id, provider, model, run_date, status, response_text)
      select org_id, prompt_id, provider, 'm', run_date, status, case when status = 'success' then 'ok' end
      from jsonb_to_recordset(${JSON.stringify(rows)}::jsonb)
        as x(org_id uuid, prompt_id uuid, provider text, run_date date, status text)`);
  }
  const nth = (picks: number[]) =>
    sql`(select id from (select id, row_number() over (order by id) - 1 as n
                         from prompt_provider_responses) r
         where r.n in (select (value::int) % greatest((select count(*) from prompt_provider_responses), 1)
                       from jsonb_array_elements_text(${JSON.stringify(picks)}::jsonb)))`;
  if (world.flips.length > 0) {
    await db.execute(sql`
      update prompt_provider_responses
      set status = case when status = 'success' then 'error' else 'success' end
      where id in ${nth(world.flips)}`);
  }
  if (world.moves.length > 0) {
    await db.execute(sql`
      update prompt_provider_responses
      set run_date = case when run_date = ${DAY}::date then ${OTHER}::date else ${DAY}::date end
      where id in ${nth(world.moves)}`);
  }
  if (world.deletes.length > 0) {
    await db.execute(sql`delete from prompt_provider_responses where id in ${nth(world.deletes)}`);
  }
  for (const n of world.deactivate) {
    await db.execute(
      sql`update prompts set active = false where id = ${promptRows[n % promptRows.length]?.id}`,
    );
  }
  if (world.deletePrompt !== undefined) {
    // Cascades to its tasks and responses: the responses' delete trigger runs inside the cascade.
    const id = promptRows[world.deletePrompt % promptRows.length]?.id;
    await db.execute(sql`delete from prompts where id = ${id}`);
  }
}

/** The rollup itself: per key, the distinct prompts that have a success. */
async function rollupMismatches(db: Db) {
  return queryRows(
    db,
    sql`with rolled as (
          select run_date, org_id, provider, sum(succeeded)::int as n from coverage_rollup
          group by run_date, org_id, provider having sum(succeeded) <> 0
        ),
        counted as (
          select run_date, org_id, provider, count(distinct prompt_id)::int as n
          from prompt_provider_responses where status = 'success'
          group by run_date, org_id, provider
        )
        select * from (select * from rolled except all select * from counted) a
        union all
        select * from (select * from counted except all select * from rolled) b`,
  );
}

describe.each(backends())('coverage rollup on $name', (backend) => {
  let database: TestDatabase;
  beforeAll(async () => {
    database = await backend.create();
  });
  afterAll(async () => {
    await database.close();
  });

  it('gives the same document as the unit-by-unit statement, whatever wrote the responses', async () => {
    await fc.assert(
      fc.asyncProperty(worldArbitrary, async (world) => {
        await truncateAll(database);
        await load(database.db, world);
        expect(await rollupMismatches(database.db)).toEqual([]);
        for (const day of [DAY, OTHER]) {
          expect(await queryCoverage(database.db, day)).toEqual(await queryCoverageByUnits(database.db, day));
        }
      }),
      { numRuns: 40 },
    );
  });

  it('a second success of a unit counts once, in one statement or in two', async () => {
    await truncateAll(database);
    await load(database.db, {
      orgs: [
        {
          plan: 'growth',
          subscription_status: 'active',
          active: true,
          completedJob: true,
          night: undefined,
          prompts: [{ active: true, minute: 0 }],
        },
      ],
      enabled: { anthropic: false, gemini: false, openai: true, perplexity: false },
      tasks: [],
      statements: [
        [
          { unit: { prompt: 0, provider: 'openai', day: DAY }, status: 'success' },
          { unit: { prompt: 0, provider: 'openai', day: DAY }, status: 'success' },
        ],
        [{ unit: { prompt: 0, provider: 'openai', day: DAY }, status: 'success' }],
      ],
      flips: [],
      moves: [],
      deletes: [],
      deletePrompt: undefined,
      deactivate: [],
    });
    const rolled = await queryRows<{ n: number }>(
      database.db,
      sql`select sum(succeeded)::int as n from coverage_rollup where run_date = ${DAY}`,
    );
    expect(rolled[0]?.n).toBe(1);
    const rows = await queryCoverage(database.db, DAY);
    expect(rows.orgs[0]).toMatchObject({ expected_units: 1, succeeded_units: 1 });
    // Removing one of the three success rows leaves the unit succeeded; removing all does not.
    await database.db.execute(
      sql`delete from prompt_provider_responses where id = (select min(id) from prompt_provider_responses)`,
    );
    expect((await queryCoverage(database.db, DAY)).orgs[0]).toMatchObject({ succeeded_units: 1 });
    await database.db.execute(sql`delete from prompt_provider_responses`);
    expect((await queryCoverage(database.db, DAY)).orgs[0]).toMatchObject({ succeeded_units: 0 });
    expect(await rollupMismatches(database.db)).toEqual([]);
  });

  it('folds the rows appended one statement at a time', async () => {
    await truncateAll(database);
    // One enterprise org, 150 prompts x 4 providers: 600 units, each written by its own statement.
    await load(database.db, {
      orgs: [
        {
          plan: 'enterprise',
          subscription_status: 'active',
          active: true,
          completedJob: true,
          night: undefined,
          prompts: Array.from({ length: 150 }, (_, i) => ({ active: true, minute: i % 20 })),
        },
      ],
      enabled: { anthropic: true, gemini: true, openai: true, perplexity: true },
      tasks: [],
      statements: [],
      flips: [],
      moves: [],
      deletes: [],
      deletePrompt: undefined,
      deactivate: [],
    });
    const units = await queryRows<{ prompt_id: string; org_id: string }>(
      database.db,
      sql`select id as prompt_id, org_id from prompts order by id`,
    );
    for (const provider of PROVIDERS) {
      for (const u of units) {
        await database.db.execute(sql`
          insert into prompt_provider_responses (org_id, prompt_id, provider, model, run_date, status)
          values (${u.org_id}::uuid, ${u.prompt_id}::uuid, ${provider}, 'm', ${DAY}::date, 'success')`);
      }
    }
    const stored = await queryRows<{ rows: number }>(
      database.db,
      sql`select count(*)::int as rows from coverage_rollup`,
    );
    // 600 rows appended, folded about every 256: what is left is the four keys and the rows since.
    expect(stored[0]?.rows).toBeLessThanOrEqual(4 + 256);
    expect(await rollupMismatches(database.db)).toEqual([]);
    const rows = await queryCoverage(database.db, DAY);
    expect(rows.orgs[0]).toMatchObject({ expected_units: 600, succeeded_units: 600, full_prompts: 150 });
    expect(rows).toEqual(await queryCoverageByUnits(database.db, DAY));
  });

  it('TRUNCATE of the responses empties the rollup', async () => {
    await database.db.execute(sql`truncate prompt_provider_responses`);
    const left = await queryRows<{ n: number }>(
      database.db,
      sql`select count(*)::int as n from coverage_rollup`,
    );
    expect(left[0]?.n).toBe(0);
  });
});

describe.each(sharedBackends())('coverage rollup under concurrent writers on $name', (backend) => {
  let database: TestDatabase;
  const clients: pg.Client[] = [];
  beforeAll(async () => {
    database = await backend.create();
  });
  afterAll(async () => {
    for (const client of clients) await client.end().catch(() => undefined);
    await database.close();
  });

  async function connect(): Promise<pg.Client> {
    const client = new pg.Client({ connectionString: database.url });
    await client.connect();
    clients.push(client);
    return client;
  }

  /**
   * Until `client`'s backend waits for an advisory lock: its trigger is then queued behind ours.
   * Its pid is read through `observer`: `client` is busy with the statement that waits, and a
   * query sent to it would queue behind that statement for ever.
   */
  async function waitsForLock(observer: pg.Client, client: pg.Client): Promise<void> {
    const pid = (client as unknown as { processID: number }).processID;
    for (let i = 0; i < 600; i++) {
      const row = await observer.query(
        `select 1 from pg_stat_activity where pid = $1 and wait_event_type = 'Lock' and wait_event = 'advisory'`,
        [pid],
      );
      if (row.rowCount) return;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    throw new Error('the second writer never waited for the unit lock');
  }

  it('two transactions writing the first success of one unit at once count it once', async () => {
    await truncateAll(database);
    await load(database.db, {
      orgs: [
        {
          plan: 'growth',
          subscription_status: 'active',
          active: true,
          completedJob: true,
          night: undefined,
          prompts: [{ active: true, minute: 0 }],
        },
      ],
      enabled: { anthropic: false, gemini: false, openai: true, perplexity: false },
      tasks: [],
      statements: [],
      flips: [],
      moves: [],
      deletes: [],
      deletePrompt: undefined,
      deactivate: [],
    });
    const [a, b, observer] = [await connect(), await connect(), await connect()];
    const insert = `insert into prompt_provider_responses (org_id, prompt_id, provider, model, run_date, status)
                    select org_id, id, 'openai', 'm', '${DAY}', 'success' from prompts`;
    await a.query('begin');
    await a.query(insert);
    await b.query('begin');
    const second = b.query(insert);
    await waitsForLock(observer, b);
    await a.query('commit');
    await second;
    await b.query('commit');
    expect(await rollupMismatches(database.db)).toEqual([]);
    const rolled = await queryRows<{ n: number }>(
      database.db,
      sql`select sum(succeeded)::int as n from coverage_rollup`,
    );
    expect(rolled[0]?.n).toBe(1);

    // And a delete of one success racing an insert of another leaves the unit counted.
    await a.query('begin');
    await a.query('delete from prompt_provider_responses');
    await b.query('begin');
    const third = b.query(insert);
    await waitsForLock(observer, b);
    await a.query('commit');
    await third;
    await b.query('commit');
    expect(await rollupMismatches(database.db)).toEqual([]);
    expect((await queryCoverage(database.db, DAY)).orgs[0]).toMatchObject({ succeeded_units: 1 });
  });
});
