import { randomUUID } from 'node:crypto';
import { sql } from 'drizzle-orm';
import fc from 'fast-check';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.ts';
import type { CoverageReport } from '../../src/coverage/types.ts';
import { queryRows } from '../../src/db/client.ts';
import { measureCoverage, runPostcheck } from '../../src/scheduler/postcheck.ts';
import { backends, type TestDatabase, truncateAll } from '../support/db.ts';
import {
  insertCompletedJob,
  insertOrgs,
  insertPrompts,
  insertResponses,
  type OrgInput,
  type PromptInput,
  type ResponseInput,
  setProviders,
} from '../support/insert-rows.ts';

const RUN_DATE = '2026-11-27';
/** The defaults: America/New_York, 95 % thresholds, the documented prices. */
const options = loadConfig({});
const NOW = new Date('2026-11-28T09:00:00Z');
const ALL = ['anthropic', 'gemini', 'openai', 'perplexity'] as const;

// The oracle restates the coverage words on its own, without the production constants.
const QUOTA: Record<string, number> = {
  starter: 25,
  growth: 100,
  pro: 300,
  enterprise: Number.POSITIVE_INFINITY,
};
const STARTER_PROVIDERS = new Set(['openai', 'perplexity']);

interface World {
  orgs: OrgInput[];
  prompts: PromptInput[];
  responses: ResponseInput[];
  enabled: Record<string, boolean>;
  completedJobs: string[];
}

function oracle(world: World) {
  const eligible = world.orgs.filter(
    (o) => o.active && (o.subscription_status === 'active' || o.subscription_status === 'trialing'),
  );
  const success = new Set(
    world.responses
      .filter((r) => r.status === 'success' && r.run_date === RUN_DATE)
      .map((r) => `${r.prompt_id}|${r.provider}`),
  );
  let expectedPrompts = 0;
  let covered = 0;
  let full = 0;
  let units = 0;
  let okUnits = 0;
  let expectedOrgs = 0;
  let foundOrgs = 0;
  const perProvider: Record<string, [number, number]> = {};
  const uncovered = new Set<string>();
  const overQuota: Record<string, number> = {};
  for (const org of eligible) {
    const entitled = ALL.filter(
      (p) => world.enabled[p] && (org.plan !== 'starter' || STARTER_PROVIDERS.has(p)),
    );
    const active = world.prompts
      .filter((p) => p.org_id === org.id && p.active)
      .sort((a, b) => a.created_at.localeCompare(b.created_at) || a.id.localeCompare(b.id));
    const quota = QUOTA[org.plan] ?? 0;
    if (active.length > quota) overQuota[org.id] = active.length - quota;
    const inQuota = active.slice(0, quota);
    if (entitled.length === 0 || inQuota.length === 0) continue;
    expectedOrgs++;
    if (world.completedJobs.includes(org.id)) foundOrgs++;
    for (const prompt of inQuota) {
      expectedPrompts++;
      const ok = entitled.filter((p) => success.has(`${prompt.id}|${p}`));
      units += entitled.length;
      okUnits += ok.length;
      if (ok.length > 0) covered++;
      else uncovered.add(prompt.id);
      if (ok.length === entitled.length) full++;
      for (const p of entitled) {
        const entry = perProvider[p] ?? [0, 0];
        entry[0]++;
        if (success.has(`${prompt.id}|${p}`)) entry[1]++;
        perProvider[p] = entry;
      }
    }
  }
  // Every active prompt of the database lands in exactly one group, decided here prompt by prompt.
  const activePrompts = { total: 0, expected: 0, orgNotEligible: 0, overQuota: 0, noEntitledProvider: 0 };
  for (const org of world.orgs) {
    const active = world.prompts
      .filter((p) => p.org_id === org.id && p.active)
      .sort((a, b) => a.created_at.localeCompare(b.created_at) || a.id.localeCompare(b.id));
    const hasProvider = ALL.some(
      (p) => world.enabled[p] && (org.plan !== 'starter' || STARTER_PROVIDERS.has(p)),
    );
    active.forEach((_prompt, rank) => {
      activePrompts.total++;
      if (!eligible.includes(org)) activePrompts.orgNotEligible++;
      else if (!hasProvider) activePrompts.noEntitledProvider++;
      else if (rank >= (QUOTA[org.plan] ?? 0)) activePrompts.overQuota++;
      else activePrompts.expected++;
    });
  }
  return {
    activePrompts,
    expectedPrompts,
    covered,
    full,
    units,
    okUnits,
    expectedOrgs,
    foundOrgs,
    perProvider,
    uncovered,
    overQuota,
  };
}

function summarize(report: CoverageReport) {
  const perProvider: Record<string, [number, number]> = {};
  for (const p of report.providers) {
    if (p.expectedUnits > 0) perProvider[p.provider] = [p.expectedUnits, p.succeededUnits];
  }
  const overQuota: Record<string, number> = {};
  for (const o of report.overQuota) overQuota[o.orgId] = o.overQuotaPrompts;
  return {
    activePrompts: report.activePrompts,
    expectedPrompts: report.promptCoverage.expectedActivePrompts,
    covered: report.promptCoverage.promptsRunToday,
    full: report.promptCoverage.fullyCoveredPrompts,
    units: report.units.expected,
    okUnits: report.units.succeeded,
    expectedOrgs: report.orgCoverage.expected,
    foundOrgs: report.orgCoverage.found,
    perProvider,
    uncovered: new Set(
      Object.values(report.promptCoverage.missingPromptsByOrg).flatMap((list) => list.map((p) => p.id)),
    ),
    overQuota,
  };
}

const worldArbitrary: fc.Arbitrary<World> = fc
  .record({
    orgs: fc.array(
      fc.record({
        plan: fc.constantFrom('starter', 'growth', 'pro', 'enterprise'),
        subscription_status: fc.constantFrom('active', 'trialing', 'past_due', 'canceled'),
        active: fc.constantFrom(true, true, true, false),
        prompts: fc.array(fc.record({ active: fc.boolean(), minute: fc.integer({ min: 0, max: 40 }) }), {
          maxLength: 32,
        }),
      }),
      { maxLength: 5 },
    ),
    enabled: fc.record({
      anthropic: fc.boolean(),
      gemini: fc.boolean(),
      openai: fc.boolean(),
      perplexity: fc.boolean(),
    }),
    responseSeed: fc.array(
      fc.record({
        prompt: fc.nat(),
        provider: fc.constantFrom(...ALL),
        status: fc.constantFrom('success', 'success', 'error'),
        day: fc.constantFrom(RUN_DATE, RUN_DATE, '2026-11-26', '2026-11-28'),
      }),
      { maxLength: 120 },
    ),
    jobSeed: fc.array(fc.boolean(), { minLength: 5, maxLength: 5 }),
  })
  .map(({ orgs, enabled, responseSeed, jobSeed }) => {
    const world: World = { orgs: [], prompts: [], responses: [], enabled, completedJobs: [] };
    // Ids from counters, not randomUUID(): fast-check must be able to replay and shrink a world.
    const uuid = (kind: number, n: number) =>
      `00000000-0000-4000-8${kind}00-${n.toString(16).padStart(12, '0')}`;
    orgs.forEach((o, i) => {
      const id = uuid(1, i);
      world.orgs.push({
        id,
        name: `Org ${i}`,
        slug: `org-${i}-${id.slice(0, 6)}`,
        plan: o.plan,
        subscription_status: o.subscription_status,
        active: o.active,
      });
      if (jobSeed[i]) world.completedJobs.push(id);
      for (const p of o.prompts) {
        // Equal created_at values are common on purpose: the rank then falls back to the id.
        const created = new Date(Date.UTC(2026, 0, 1, 0, p.minute)).toISOString();
        world.prompts.push({
          id: uuid(2, world.prompts.length),
          org_id: id,
          text: `prompt ${world.prompts.length}`,
          active: p.active,
          created_at: created,
        });
      }
    });
    if (world.prompts.length > 0) {
      for (const r of responseSeed) {
        const prompt = world.prompts[r.prompt % world.prompts.length] as PromptInput;
        world.responses.push({
          org_id: prompt.org_id,
          prompt_id: prompt.id,
          provider: r.provider,
          run_date: r.day,
          run_at: '2026-11-28T04:30:00Z',
          status: r.status as 'success' | 'error',
        });
      }
    }
    return world;
  });

describe.each(backends())('coverage SQL on $name', (backend) => {
  let database: TestDatabase;
  /** The postcheck's deps: the test's options for config, the clock at NOW. */
  const coverageDeps = () => ({ db: database.db, config: options, clock: () => NOW });
  beforeAll(async () => {
    database = await backend.create();
  });
  afterAll(async () => {
    await database.close();
  });
  beforeEach(async () => {
    await truncateAll(database);
  });

  async function load(world: World) {
    await truncateAll(database);
    await setProviders(database.db, world.enabled);
    await insertOrgs(database.db, world.orgs);
    await insertPrompts(database.db, world.prompts);
    await insertResponses(database.db, world.responses);
    for (const orgId of world.completedJobs) await insertCompletedJob(database.db, orgId, RUN_DATE);
  }

  it('equals an independent oracle on random worlds', async () => {
    await fc.assert(
      fc.asyncProperty(worldArbitrary, async (world) => {
        await load(world);
        const report = await measureCoverage(coverageDeps(), { runDate: RUN_DATE });
        expect(summarize(report)).toEqual(oracle(world));
      }),
      { numRuns: 30 },
    );
  });

  it('the active-prompt groups sum to the runbook count, and their expected group to the expected prompts', async () => {
    await fc.assert(
      fc.asyncProperty(worldArbitrary, async (world) => {
        await load(world);
        const report = await measureCoverage(coverageDeps(), { runDate: RUN_DATE });
        const [runbook] = await queryRows<{ n: number }>(
          database.db,
          sql`select count(distinct p.id)::int as n from prompts p where p.active = true`,
        );
        const groups = report.activePrompts;
        expect(groups?.total).toBe(runbook?.n);
        expect(
          (groups?.expected ?? 0) +
            (groups?.orgNotEligible ?? 0) +
            (groups?.overQuota ?? 0) +
            (groups?.noEntitledProvider ?? 0),
        ).toBe(runbook?.n);
        expect(groups?.expected).toBe(report.promptCoverage.expectedActivePrompts);
      }),
      { numRuns: 20 },
    );
  });

  it('puts each active prompt in one group: an over-quota org without an entitled provider counts as the latter', async () => {
    const org = (i: number, plan: string, status: string, active = true): OrgInput => ({
      id: randomUUID(),
      name: `Group org ${i}`,
      slug: `group-org-${i}`,
      plan,
      subscription_status: status,
      active,
    });
    // starter allows openai and perplexity only: with both off it has no entitled provider.
    const orgs = [
      org(1, 'starter', 'active'),
      org(2, 'growth', 'active'),
      org(3, 'pro', 'canceled'),
      org(4, 'pro', 'trialing', false),
    ];
    const counts = [30, 3, 4, 2];
    const prompts: PromptInput[] = orgs.flatMap((o, i) =>
      Array.from({ length: counts[i] ?? 0 }, (_, n) => ({
        id: randomUUID(),
        org_id: o.id,
        text: `prompt ${n}`,
        active: true,
        created_at: new Date(Date.UTC(2026, 0, 1, 0, n)).toISOString(),
      })),
    );
    await setProviders(database.db, { openai: false, perplexity: false, anthropic: true, gemini: false });
    await insertOrgs(database.db, orgs);
    await insertPrompts(database.db, prompts);
    const report = await measureCoverage(coverageDeps(), { runDate: RUN_DATE });
    expect(report.activePrompts).toEqual({
      total: 39,
      expected: 3,
      orgNotEligible: 6,
      overQuota: 0,
      noEntitledProvider: 30,
    });
  });

  it('a response stored for run_date D but written at 23:30 New York time counts for D', async () => {
    const orgId = randomUUID();
    const promptId = randomUUID();
    await load({
      orgs: [
        {
          id: orgId,
          name: 'Late Co',
          slug: 'late-co',
          plan: 'starter',
          subscription_status: 'active',
          active: true,
        },
      ],
      prompts: [
        { id: promptId, org_id: orgId, text: 'late', active: true, created_at: '2026-01-01T00:00:00Z' },
      ],
      // 23:30 in New York on the 27th is 04:30 UTC on the 28th: a UTC-date system would miscount it.
      responses: ['openai', 'perplexity'].map((provider) => ({
        org_id: orgId,
        prompt_id: promptId,
        provider,
        run_date: RUN_DATE,
        run_at: '2026-11-28T04:30:00Z',
        status: 'success' as const,
      })),
      enabled: { openai: true, perplexity: true, anthropic: true, gemini: true },
      completedJobs: [orgId],
    });
    const report = await measureCoverage(coverageDeps(), { runDate: RUN_DATE });
    expect(report.promptCoverage).toMatchObject({
      expectedActivePrompts: 1,
      promptsRunToday: 1,
      fullyCoveredPrompts: 1,
    });
    expect(report.summary.overallHealth).toBe('HEALTHY');
    const nextDay = await measureCoverage(coverageDeps(), { runDate: '2026-11-28' });
    expect(nextDay.promptCoverage.promptsRunToday).toBe(0);
  });

  it('never expects an inactive prompt or a canceled org', async () => {
    const live = randomUUID();
    const canceled = randomUUID();
    const prompts: PromptInput[] = [
      { id: randomUUID(), org_id: live, text: 'on', active: true, created_at: '2026-01-01T00:00:00Z' },
      { id: randomUUID(), org_id: live, text: 'off', active: false, created_at: '2026-01-01T00:00:00Z' },
      { id: randomUUID(), org_id: canceled, text: 'gone', active: true, created_at: '2026-01-01T00:00:00Z' },
    ];
    await load({
      orgs: [
        { id: live, name: 'Live', slug: 'live', plan: 'pro', subscription_status: 'active', active: true },
        {
          id: canceled,
          name: 'Canceled',
          slug: 'canceled',
          plan: 'pro',
          subscription_status: 'canceled',
          active: true,
        },
      ],
      prompts,
      responses: [],
      enabled: { openai: true, perplexity: false, anthropic: false, gemini: false },
      completedJobs: [],
    });
    const report = await measureCoverage(coverageDeps(), { runDate: RUN_DATE });
    expect(report.promptCoverage.expectedActivePrompts).toBe(1);
    expect(report.orgCoverage.expected).toBe(1);
    expect(report.promptCoverage.missingPromptsByOrg[live]?.map((p) => p.text)).toEqual(['on']);
    expect(report.incompletePrompts[0]?.missingProviders).toEqual([
      { provider: 'openai', reason: 'not_scheduled', error: null },
    ]);
  });

  it('records every postcheck in scheduler_runs with the seed-shaped result', async () => {
    const first = await runPostcheck(coverageDeps(), {
      runDate: RUN_DATE,
      triggeredBy: 'test',
      scheduled: true,
    });
    const second = await runPostcheck(coverageDeps(), {
      runDate: RUN_DATE,
      triggeredBy: 'test',
      scheduled: true,
    });
    const adHoc = await runPostcheck(coverageDeps(), { runDate: RUN_DATE, triggeredBy: 'test' });
    expect(first.recorded).toBe(true);
    expect(second.recorded).toBe(false);
    expect(adHoc.recorded).toBe(true);
    const rows = await queryRows<{ run_key: string; status: string; health: string; prompts: number }>(
      database.db,
      sql`select run_key, status, result->'summary'->>'overallHealth' as health,
                 (result->'promptCoverage'->>'expectedActivePrompts')::int as prompts
          from scheduler_runs where function_name = 'scheduler-postcheck' order by id`,
    );
    expect(rows).toHaveLength(2);
    expect(rows[0]).toMatchObject({ run_key: RUN_DATE, status: 'completed', health: 'HEALTHY', prompts: 0 });
    expect(rows[1]?.run_key.startsWith(`${RUN_DATE}/manual/`)).toBe(true);
  });
});
