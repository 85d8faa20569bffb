import { createHash } from 'node:crypto';
import { sql } from 'drizzle-orm';
import { type Db, queryOne } from './client.ts';
import type { Plan } from './plans.ts';

/**
 * Deterministic demo data: the same ids and rows every time, so running it twice changes
 * nothing. Bulk rows go in as INSERT ... SELECT FROM jsonb_to_recordset($1): one bind parameter per
 * chunk, far from the 65,535-parameter limit whatever the size.
 */

export interface SeedOptions {
  /** Number of organizations (default 28: every plan and subscription state, one over quota). */
  orgs?: number;
  /** Active prompts per org before the fixed variations (default about 9). */
  promptsPerOrg?: number;
  onProgress?: (done: number, total: number) => void;
}

export interface SeedResult {
  organizations: number;
  prompts: number;
  activePrompts: number;
  inserted: { organizations: number; prompts: number };
}

/** A stable UUID (v5-like layout) from a name, so demo ids never change between runs. */
export function stableUuid(name: string): string {
  const h = createHash('sha1').update(`sched-bot-demo:${name}`).digest('hex');
  const variant = ((Number.parseInt(h.slice(16, 18), 16) & 0x3f) | 0x80).toString(16);
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-5${h.slice(13, 16)}-${variant}${h.slice(18, 20)}-${h.slice(20, 32)}`;
}

const COMPANY_WORDS = [
  'Acme',
  'Birch',
  'Cobalt',
  'Delta',
  'Ember',
  'Fjord',
  'Granite',
  'Harbor',
  'Indigo',
  'Juniper',
  'Keystone',
  'Lumen',
  'Meridian',
  'Nimbus',
  'Orchid',
  'Pioneer',
  'Quartz',
  'Redwood',
  'Summit',
  'Tidal',
  'Umber',
  'Vertex',
  'Willow',
  'Xenon',
  'Yarrow',
  'Zephyr',
];
const COMPANY_SUFFIXES = [
  'Analytics',
  'Labs',
  'Health',
  'Logistics',
  'Foods',
  'Software',
  'Travel',
  'Capital',
];
const TOPICS = [
  'project management tools',
  'CRM platforms',
  'running shoes',
  'accounting software for freelancers',
  'electric SUVs',
  'password managers',
  'coffee grinders',
  'cloud data warehouses',
  'travel insurance',
  'online MBA programs',
  'standing desks',
  'email marketing services',
  'home security cameras',
  'meal kit deliveries',
  'video conferencing apps',
];
const QUESTIONS = [
  'What are the best {topic} for a small team in 2026?',
  'Which {topic} do experts recommend, and why?',
  'Compare the top three {topic} on price and features.',
  'Is {company} a good choice among {topic}?',
  'What do reviewers say about {company} versus other {topic}?',
  'List alternatives to {company} for {topic}.',
];

// Subscription states cycle so every plan meets every state; most orgs stay eligible.
const STATUS_CYCLE = ['active', 'active', 'trialing', 'active', 'past_due', 'active', 'canceled'] as const;
const PLAN_CYCLE: Plan[] = ['starter', 'growth', 'pro', 'enterprise'];

interface OrgRow {
  id: string;
  name: string;
  slug: string;
  plan: Plan;
  status: string;
  active: boolean;
  createdAt: string;
}

export function demoOrganizations(count: number): OrgRow[] {
  const base = Date.UTC(2025, 0, 6, 15, 0, 0);
  return Array.from({ length: count }, (_, i) => {
    const word = COMPANY_WORDS[i % COMPANY_WORDS.length] as string;
    const suffix = COMPANY_SUFFIXES[
      Math.floor(i / COMPANY_WORDS.length + i) % COMPANY_SUFFIXES.length
    ] as string;
    const round = Math.floor(i / (COMPANY_WORDS.length * COMPANY_SUFFIXES.length));
    const name = `${word} ${suffix}${round > 0 ? ` ${round + 1}` : ''}`;
    const slug = name.toLowerCase().replace(/[^a-z0-9]+/g, '-');
    return {
      id: stableUuid(`org:${slug}`),
      name,
      slug,
      plan: PLAN_CYCLE[i % PLAN_CYCLE.length] as Plan,
      status: STATUS_CYCLE[i % STATUS_CYCLE.length] as string,
      // One org in eleven is switched off by its owner, whatever its subscription.
      active: i % 11 !== 10,
      createdAt: new Date(base + i * 86_400_000).toISOString(),
    };
  });
}

interface PromptRow {
  id: string;
  orgId: string;
  text: string;
  active: boolean;
  createdAt: string;
}

export function demoPrompts(orgs: OrgRow[], promptsPerOrg: number): PromptRow[] {
  const rows: PromptRow[] = [];
  orgs.forEach((org, i) => {
    // The first starter org is over its quota of 25: it has 32 active prompts.
    const active = i === 0 ? 32 : promptsPerOrg + (i % 3);
    const inactive = 1 + (i % 2);
    for (let n = 0; n < active + inactive; n++) {
      const topic = TOPICS[(i + n) % TOPICS.length] as string;
      const template = QUESTIONS[(n + i * 2) % QUESTIONS.length] as string;
      rows.push({
        id: stableUuid(`prompt:${org.slug}:${n}`),
        orgId: org.id,
        text: template.replace('{topic}', topic).replace('{company}', org.name),
        active: n < active,
        createdAt: new Date(Date.parse(org.createdAt) + (n + 1) * 60_000).toISOString(),
      });
    }
  });
  return rows;
}

const CHUNK = 10_000;

export async function seedDemo(db: Db, options: SeedOptions = {}): Promise<SeedResult> {
  const orgs = demoOrganizations(options.orgs ?? 28);
  const prompts = demoPrompts(orgs, options.promptsPerOrg ?? 8);
  let insertedOrgs = 0;
  let insertedPrompts = 0;

  for (let i = 0; i < orgs.length; i += CHUNK) {
    const chunk = orgs.slice(i, i + CHUNK);
    const result = await queryOne<{ n: number }>(
      db,
      sql`with inserted as (
            insert into organizations (id, name, slug, plan, subscription_status, active, created_at)
            select id, name, slug, plan, status, active, "createdAt"
            from jsonb_to_recordset(${JSON.stringify(chunk)}::jsonb)
              as x(id uuid, name text, slug text, plan text, status text, active boolean, "createdAt" timestamptz)
            on conflict (id) do nothing
            returning 1)
          select count(*)::int as n from inserted`,
    );
    insertedOrgs += result?.n ?? 0;
  }
  for (let i = 0; i < prompts.length; i += CHUNK) {
    const chunk = prompts.slice(i, i + CHUNK);
    const result = await queryOne<{ n: number }>(
      db,
      sql`with inserted as (
            insert into prompts (id, org_id, text, active, created_at)
            select id, "orgId", text, active, "createdAt"
            from jsonb_to_recordset(${JSON.stringify(chunk)}::jsonb)
              as x(id uuid, "orgId" uuid, text text, active boolean, "createdAt" timestamptz)
            on conflict (id) do nothing
            returning 1)
          select count(*)::int as n from inserted`,
    );
    insertedPrompts += result?.n ?? 0;
    options.onProgress?.(Math.min(i + CHUNK, prompts.length), prompts.length);
  }
  return {
    organizations: orgs.length,
    prompts: prompts.length,
    activePrompts: prompts.filter((p) => p.active).length,
    inserted: { organizations: insertedOrgs, prompts: insertedPrompts },
  };
}
