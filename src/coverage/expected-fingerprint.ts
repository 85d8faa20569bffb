import { sql } from 'drizzle-orm';
import { type Db, queryOne } from '../db/client.ts';
import { expectedUnitsCte, orgFingerprintCte } from './coverage-query.ts';

/**
 * What a night expects, per org, in a few bytes: its expected prompts (how many, and the sum of a
 * hash of each id) and the providers it is entitled to. An org's expected units are exactly its
 * in-quota prompts times those providers, so equal fingerprints mean the same units. A step
 * records it when it runs (the trigger, the postcheck) and the audit compares it with the same
 * fingerprint taken now: an org whose units changed since (a plan upgraded, a prompt deactivated
 * that lets another into the quota, a provider enabled) is told apart from a step that missed
 * units, even when the count did not move. Sums of 32-bit hashes into a bigint are exact; two
 * different prompt sets of one org meeting by chance is a 1 in 2^32 event, and then the audit
 * merely notes what it would have flagged.
 *
 * Per prompt rather than per unit: at full size (100,000 prompts, 400,000 units) hashing every
 * unit took about three times as long.
 */

/** org id -> [expected prompts, sum of their id hashes, entitled providers comma-separated]. */
export type ExpectedFingerprint = Record<string, [number, number, string]>;

export async function expectedFingerprint(db: Db, runDate: string): Promise<ExpectedFingerprint> {
  const row = await queryOne<{ fingerprint: ExpectedFingerprint }>(
    db,
    sql`with ${expectedUnitsCte(runDate)}, ${orgFingerprintCte}
        select coalesce(jsonb_object_agg(org_id, jsonb_build_array(prompts, hash, providers)), '{}'::jsonb)
                 as fingerprint
        from org_fingerprint`,
  );
  return row?.fingerprint ?? {};
}
