import { sql } from 'drizzle-orm';
import { distance } from 'fastest-levenshtein';
import { type Db, queryRows } from '../db/client.ts';

/**
 * Finds the organization an operator means: `/sched-rerun acme`, `sched rerun acme-analytics`,
 * an id pasted from a log, or a name with a typo. The text is untrusted (Slack, CLI): it is
 * cleaned, capped, and only ever reaches SQL as a bind parameter.
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
/** Fuzzy matching loads names; an upper bound keeps a huge tenant table from being read whole. */
const MAX_FUZZY_ORGS = 50_000;

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

export async function findOrg(db: Db, query: string): Promise<FindOrgResult> {
  const q = cleanQuery(query);
  if (q === '') return { kind: 'none', closest: [] };

  const byId = await orgById(db, q);
  if (byId) return { kind: 'found', org: byId };

  const exact = await queryRows<Org>(
    db,
    sql`select ${ORG_COLUMNS} from organizations
        where lower(slug) = lower(${q}) or lower(name) = lower(${q})
        order by name, id limit ${MAX_CANDIDATES}`,
  );
  const decided = decide(exact);
  if (decided) return decided;

  // strpos, not LIKE: a '%' or '_' typed by someone is a character, not a wildcard.
  const containing = await queryRows<Org>(
    db,
    sql`select ${ORG_COLUMNS} from organizations
        where strpos(lower(name), lower(${q})) > 0 or strpos(lower(slug), lower(${q})) > 0
        order by name, id limit ${MAX_CANDIDATES}`,
  );
  return decide(containing) ?? fuzzyMatch(q, await allOrgs(db));
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

const allOrgs = (db: Db) =>
  queryRows<Org>(db, sql`select ${ORG_COLUMNS} from organizations order by name, id limit ${MAX_FUZZY_ORGS}`);

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
 * first; a typo with no such match falls back to the nearest names.
 */
export async function searchOrgs(db: Db, text: string, limit = MAX_SEARCH_RESULTS): Promise<Org[]> {
  const n = Math.max(1, Math.min(MAX_SEARCH_RESULTS, Math.floor(Number.isFinite(limit) ? limit : 1)));
  const q = cleanQuery(text, 100);
  if (q === '') {
    return queryRows<Org>(db, sql`select ${ORG_COLUMNS} from organizations order by name, id limit ${n}`);
  }
  const rows = await queryRows<Org>(
    db,
    sql`select ${ORG_COLUMNS} from organizations
        where strpos(lower(name), lower(${q})) > 0 or strpos(lower(slug), lower(${q})) > 0
        order by (strpos(lower(name), lower(${q})) = 1 or strpos(lower(slug), lower(${q})) = 1) desc, name, id
        limit ${n}`,
  );
  if (rows.length > 0) return rows;
  // Someone typing has only the start of a name: compare with a prefix of the same length, a
  // little stricter than whole names (a one-letter prefix is always one edit from any other).
  const limitEdits = q.length <= 3 ? 0 : allowedEdits(q.length) - 1;
  const start = (text: string) => text.toLowerCase().slice(0, q.length);
  return (await allOrgs(db))
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
 * the nearest by edit distance.
 */
export async function findOrgExactly(
  db: Db,
  query: string,
  limit = MAX_SUGGESTIONS,
): Promise<ExactOrgResult> {
  const q = cleanQuery(query);
  if (q === '') return { kind: 'guess', suggestions: [] };
  const byId = await orgById(db, q);
  if (byId) return { kind: 'exact', org: byId };
  const exact = await queryRows<Org>(
    db,
    sql`select ${ORG_COLUMNS} from organizations
        where lower(slug) = lower(${q}) or lower(name) = lower(${q})
        order by name, id limit ${MAX_CANDIDATES}`,
  );
  const [only] = exact;
  if (only && exact.length === 1) return { kind: 'exact', org: only };
  if (exact.length > 1) return { kind: 'guess', suggestions: exact.slice(0, limit) };
  const containing = await queryRows<Org>(
    db,
    sql`select ${ORG_COLUMNS} from organizations
        where strpos(lower(name), lower(${q})) > 0 or strpos(lower(slug), lower(${q})) > 0
        order by name, id limit ${limit}`,
  );
  if (containing.length >= limit) return { kind: 'guess', suggestions: containing };
  const seen = new Set(containing.map((o) => o.id));
  const nearest = nearestOrgs(
    q,
    (await allOrgs(db)).filter((o) => !seen.has(o.id)),
    limit - containing.length,
  );
  return { kind: 'guess', suggestions: [...containing, ...nearest] };
}

/** Pure: the `n` orgs nearest the query by edit distance, nearest first. */
export function nearestOrgs<T extends Org>(query: string, orgs: T[], n: number): T[] {
  return orgs
    .map((org) => ({ org, d: orgDistance(query, org) }))
    .sort((a, b) => a.d - b.d || a.org.name.localeCompare(b.org.name) || a.org.id.localeCompare(b.org.id))
    .slice(0, Math.max(0, n))
    .map((s) => s.org);
}
