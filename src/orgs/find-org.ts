import { sql } from 'drizzle-orm';
import { type Db, queryRows } from '../db/client.ts';
import { shortTransaction } from '../db/transaction.ts';
import { editDistance as distance } from './edit-distance.ts';

/**
 * Finds the organization an operator means: `/sched-rerun acme`, `sched rerun acme-analytics`,
 * an id pasted from a log, or a name with a typo. The text is untrusted (Slack, CLI): it is
 * cleaned, capped, and only ever reaches SQL as a bind parameter.
 *
 * Every lookup goes through an index, whatever the number of orgs (the typeahead must answer
 * inside Slack's 3 s): exact and substring matches through the pg_trgm GIN indexes on name and
 * slug (ILIKE), typos through the same indexes (trigram similarity), which propose a few dozen
 * candidates; the edit distance then decides among those, in memory.
 */

export interface Org {
  id: string;
  name: string;
  slug: string;
  plan: string;
  subscriptionStatus: string;
  active: boolean;
}

export type FindOrgResult =
  | { kind: 'found'; org: Org }
  | { kind: 'ambiguous'; candidates: Org[] }
  | { kind: 'none'; closest: string[] };

/** Longer than any org name; the rest of a 5,000-character paste is noise. */
export const MAX_QUERY_LENGTH = 200;
export const MAX_SEARCH_RESULTS = 100;
const MAX_CANDIDATES = 25;
const CLOSEST_NAMES = 3;
/** Candidates the trigram index proposes for a typo; the edit distance ranks them. */
const FUZZY_CANDIDATES = 50;
/**
 * Trigram thresholds, lower than pg_trgm's defaults (0.3 and 0.6): one typo in a four-letter
 * name ('acne' for 'acme') shares a quarter of its trigrams, three typos in a long one a fifth.
 */
const SIMILARITY_THRESHOLD = 0.2;
const WORD_SIMILARITY_THRESHOLD = 0.3;

const UUID_PATTERN = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Trims, drops control characters (PostgreSQL text cannot hold NUL), collapses spaces, caps. */
export function cleanQuery(text: string, maxLength = MAX_QUERY_LENGTH): string {
  return (
    text
      // biome-ignore lint/suspicious/noControlCharactersInRegex: removing control characters is the point.
      .replace(/[\u0000-\u001f\u007f]/g, ' ')
      .replace(/\s+/g, ' ')
      .trim()
      .slice(0, maxLength)
      .trim()
  );
}

const ORG_COLUMNS = sql`id, name, slug, plan, subscription_status as "subscriptionStatus", active`;

/** `text` as an ILIKE pattern that matches it literally: a '%' or '_' typed by someone is a character. */
const literal = (text: string) => text.replace(/[\\%_]/g, '\\$&');

/**
 * Name or slug equal to the text, case aside. The ILIKE (no wildcard) lets the trigram index
 * find the rows; lower() = lower() is the rule.
 */
const sameName = (q: string) => sql`(name ilike ${literal(q)} or slug ilike ${literal(q)})
  and (lower(slug) = lower(${q}) or lower(name) = lower(${q}))`;

/** Name or slug containing the text, case aside (the trigram index serves ILIKE '%...%'). */
const containing = (q: string) => {
  const pattern = `%${literal(q)}%`;
  return sql`(name ilike ${pattern} or slug ilike ${pattern})`;
};

/**
 * The orgs most like the text, from the trigram index: `whole` compares whole names (a typo in a
 * name), `start` the text with the closest part of a name (someone still typing). The thresholds
 * are set for this transaction only.
 */
function similarOrgs(db: Db, q: string, measure: 'whole' | 'start', limit: number): Promise<Org[]> {
  const [match, score] =
    measure === 'whole'
      ? [sql`name % ${q} or slug % ${q}`, sql`greatest(similarity(name, ${q}), similarity(slug, ${q}))`]
      : [
          sql`${q} <% name or ${q} <% slug`,
          sql`greatest(word_similarity(${q}, name), word_similarity(${q}, slug))`,
        ];
  return shortTransaction(db, async (tx) => {
    await tx.execute(
      sql`select set_config('pg_trgm.similarity_threshold', ${String(SIMILARITY_THRESHOLD)}, true),
                 set_config('pg_trgm.word_similarity_threshold', ${String(WORD_SIMILARITY_THRESHOLD)}, true)`,
    );
    return queryRows<Org>(
      tx,
      sql`select ${ORG_COLUMNS} from organizations where ${match}
          order by ${score} desc, name, id limit ${limit}`,
    );
  });
}

export async function findOrg(db: Db, query: string): Promise<FindOrgResult> {
  const q = cleanQuery(query);
  if (q === '') return { kind: 'none', closest: [] };

  const byId = await orgById(db, q);
  if (byId) return { kind: 'found', org: byId };

  const exact = await queryRows<Org>(
    db,
    sql`select ${ORG_COLUMNS} from organizations where ${sameName(q)}
        order by name, id limit ${MAX_CANDIDATES}`,
  );
  const decided = decide(exact);
  if (decided) return decided;

  const within = await queryRows<Org>(
    db,
    sql`select ${ORG_COLUMNS} from organizations where ${containing(q)}
        order by name, id limit ${MAX_CANDIDATES}`,
  );
  const decidedWithin = decide(within);
  if (decidedWithin) return decidedWithin;
  const fuzzy = fuzzyMatch(q, await similarOrgs(db, q, 'whole', FUZZY_CANDIDATES));
  if (fuzzy.kind !== 'none' || fuzzy.closest.length > 0) return fuzzy;
  return { kind: 'none', closest: await nearestNames(db, q, CLOSEST_NAMES) };
}

/**
 * Text that shares too few trigrams with any org for the index to propose one: the names most
 * like it all the same, so the answer still shows what org names look like. It reads every org
 * (no index orders by similarity below the threshold), but only on this path, which ends in an
 * error message, and returns three names.
 */
async function nearestNames(db: Db, q: string, limit: number): Promise<string[]> {
  const rows = await queryRows<{ name: string }>(
    db,
    sql`select name from organizations
        order by greatest(similarity(name, ${q}), similarity(slug, ${q})) desc, name, id limit ${limit}`,
  );
  return rows.map((r) => r.name);
}

/** The org with this id; undefined for an unknown id or text that is not a uuid at all. */
export async function orgById(db: Db, id: string): Promise<Org | undefined> {
  if (!UUID_PATTERN.test(id)) return undefined;
  const [org] = await queryRows<Org>(
    db,
    sql`select ${ORG_COLUMNS} from organizations where id = ${id}::uuid`,
  );
  return org;
}

function decide(rows: Org[]): FindOrgResult | undefined {
  const [first] = rows;
  if (!first) return undefined;
  return rows.length === 1 ? { kind: 'found', org: first } : { kind: 'ambiguous', candidates: rows };
}

/** Edits forgiven for a query of this length: one typo in a short name, up to three in a long one. */
export function allowedEdits(length: number): number {
  if (length <= 4) return 1;
  if (length <= 10) return 2;
  return 3;
}

/** Squashes case, spaces and punctuation, so "acme analytics", "Acme-Analytics" and "acmeanalytics" meet. */
const squash = (text: string) => text.toLowerCase().replace(/[^\p{L}\p{N}]+/gu, '');

/** Smallest edit distance between the query and an org's name or slug, in either spelling. */
export function orgDistance(query: string, org: Pick<Org, 'name' | 'slug'>): number {
  const q = query.toLowerCase();
  const sq = squash(query);
  return Math.min(
    distance(q, org.name.toLowerCase()),
    distance(q, org.slug.toLowerCase()),
    distance(sq, squash(org.name)),
    distance(sq, squash(org.slug)),
  );
}

/** Pure: the orgs nearest the query within the allowed edits; ties make it ambiguous. */
export function fuzzyMatch<T extends Org>(query: string, orgs: T[]): FindOrgResult {
  const scored = orgs
    .map((org) => ({ org, d: orgDistance(query, org) }))
    .sort((a, b) => a.d - b.d || a.org.name.localeCompare(b.org.name) || a.org.id.localeCompare(b.org.id));
  const best = scored[0];
  if (best && best.d <= allowedEdits(squash(query).length || query.length)) {
    const tied = scored.filter((s) => s.d === best.d).map((s) => s.org);
    return decide(tied.slice(0, MAX_CANDIDATES)) as FindOrgResult;
  }
  return { kind: 'none', closest: scored.slice(0, CLOSEST_NAMES).map((s) => s.org.name) };
}

/**
 * Typeahead for the Slack org picker: names or slugs containing the text, those starting with it
 * first; a typo with no such match falls back to the nearest names among those the trigram
 * index finds like it.
 */
export async function searchOrgs(
  db: Db,
  params: { text: string; limit?: number | undefined },
): Promise<Org[]> {
  const { text, limit = MAX_SEARCH_RESULTS } = params;
  const n = Math.max(1, Math.min(MAX_SEARCH_RESULTS, Math.floor(Number.isFinite(limit) ? limit : 1)));
  const q = cleanQuery(text, 100);
  if (q === '') {
    return queryRows<Org>(db, sql`select ${ORG_COLUMNS} from organizations order by name, id limit ${n}`);
  }
  const rows = await queryRows<Org>(
    db,
    sql`select ${ORG_COLUMNS} from organizations where ${containing(q)}
        order by (strpos(lower(name), lower(${q})) = 1 or strpos(lower(slug), lower(${q})) = 1) desc, name, id
        limit ${n}`,
  );
  if (rows.length > 0) return rows;
  // Someone typing has only the start of a name: compare with a prefix of the same length, a
  // little stricter than whole names (a one-letter prefix is always one edit from any other).
  // Up to three letters no edit is allowed: any such match contains the text, found above.
  if (q.length <= 3) return [];
  const limitEdits = allowedEdits(q.length) - 1;
  const start = (text: string) => text.toLowerCase().slice(0, q.length);
  return (await similarOrgs(db, q, 'start', MAX_SEARCH_RESULTS))
    .map((org) => ({ org, d: distance(q.toLowerCase(), start(org.name)) }))
    .filter((s) => s.d <= limitEdits)
    .sort((a, b) => a.d - b.d || a.org.name.localeCompare(b.org.name))
    .slice(0, n)
    .map((s) => s.org);
}

export type ExactOrgResult = { kind: 'exact'; org: Org } | { kind: 'guess'; suggestions: Org[] };

export const MAX_SUGGESTIONS = 5;

/**
 * For commands that change something (`/sched-rerun`, `sched rerun`): only an exact id, slug or
 * name (case and spacing aside) names an org. Anything else is a guess, and the caller asks
 * "Did you mean …?" with these suggestions: the orgs whose name or slug contains the text, then
 * the nearest by edit distance among those the trigram index finds like it. Text like no org at
 * all still gets suggestions: the first orgs by name, as the picker lists them.
 */
export async function findOrgExactly(
  db: Db,
  params: { query: string; limit?: number | undefined },
): Promise<ExactOrgResult> {
  const { query, limit = MAX_SUGGESTIONS } = params;
  const q = cleanQuery(query);
  if (q === '') return { kind: 'guess', suggestions: [] };
  const byId = await orgById(db, q);
  if (byId) return { kind: 'exact', org: byId };
  const exact = await queryRows<Org>(
    db,
    sql`select ${ORG_COLUMNS} from organizations where ${sameName(q)}
        order by name, id limit ${MAX_CANDIDATES}`,
  );
  const [only] = exact;
  if (only && exact.length === 1) return { kind: 'exact', org: only };
  if (exact.length > 1) return { kind: 'guess', suggestions: exact.slice(0, limit) };
  const within = await queryRows<Org>(
    db,
    sql`select ${ORG_COLUMNS} from organizations where ${containing(q)}
        order by name, id limit ${limit}`,
  );
  if (within.length >= limit) return { kind: 'guess', suggestions: within };
  const seen = new Set(within.map((o) => o.id));
  const similar = (await similarOrgs(db, q, 'whole', FUZZY_CANDIDATES)).filter((o) => !seen.has(o.id));
  const nearest = nearestOrgs(q, similar, limit - within.length);
  if (within.length + nearest.length > 0) return { kind: 'guess', suggestions: [...within, ...nearest] };
  const first = await queryRows<Org>(
    db,
    sql`select ${ORG_COLUMNS} from organizations order by name, id limit ${Math.max(0, limit)}`,
  );
  return { kind: 'guess', suggestions: first };
}

/** Pure: the `n` orgs nearest the query by edit distance, nearest first. */
export function nearestOrgs<T extends Org>(query: string, orgs: T[], n: number): T[] {
  return orgs
    .map((org) => ({ org, d: orgDistance(query, org) }))
    .sort((a, b) => a.d - b.d || a.org.name.localeCompare(b.org.name) || a.org.id.localeCompare(b.org.id))
    .slice(0, Math.max(0, n))
    .map((s) => s.org);
}
