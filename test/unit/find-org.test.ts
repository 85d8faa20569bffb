import { describe, expect, it } from 'vitest';
import {
  allowedEdits,
  cleanQuery,
  fuzzyMatch,
  MAX_QUERY_LENGTH,
  type Org,
  orgDistance,
} from '../../src/orgs/find-org.ts';

const org = (name: string, i: number): Org => ({
  id: `00000000-0000-4000-8000-${String(i).padStart(12, '0')}`,
  name,
  slug: name.toLowerCase().replace(/[^a-z0-9]+/g, '-'),
  plan: 'growth',
  subscriptionStatus: 'active',
  active: true,
});
const ORGS = [
  'Acme Analytics',
  'Acme Logistics',
  'Birch Labs',
  'Birch Foods',
  'Cobalt Health',
  'Zephyr Labs',
].map(org);

describe('cleanQuery', () => {
  it('trims, collapses whitespace and drops control characters (PostgreSQL text cannot hold NUL)', () => {
    expect(cleanQuery('  birch\u0000labs \n\t ')).toBe('birch labs');
    expect(cleanQuery('\u0007\u001f')).toBe('');
  });

  it('caps a 5,000-character paste', () => {
    expect(cleanQuery('x'.repeat(5000))).toHaveLength(MAX_QUERY_LENGTH);
    expect(cleanQuery('y'.repeat(5000), 100)).toHaveLength(100);
  });
});

describe('fuzzyMatch', () => {
  it('forgives a typo in a name or a slug spelling', () => {
    expect(fuzzyMatch('Cobalt Helth', ORGS)).toMatchObject({ kind: 'found', org: { name: 'Cobalt Health' } });
    expect(fuzzyMatch('birch lbas', ORGS)).toMatchObject({ kind: 'found', org: { name: 'Birch Labs' } });
    expect(fuzzyMatch('zephyrlabs', ORGS)).toMatchObject({ kind: 'found', org: { name: 'Zephyr Labs' } });
  });

  it('calls a tie ambiguous and lists the tied orgs', () => {
    const twins = [org('Acme Labs', 1), org('Acme Labz', 2), org('Birch Labs', 3)];
    const result = fuzzyMatch('Acme Lab', twins);
    expect(result.kind).toBe('ambiguous');
    expect(result.kind === 'ambiguous' && result.candidates.map((c) => c.name)).toEqual([
      'Acme Labs',
      'Acme Labz',
    ]);
  });

  it('finds none past the allowed edits, naming the three closest', () => {
    const result = fuzzyMatch('Cobble Wealth Partners', ORGS);
    expect(result.kind).toBe('none');
    expect(result.kind === 'none' && result.closest).toHaveLength(3);
    expect(result.kind === 'none' && result.closest[0]).toBe('Cobalt Health');
    expect(fuzzyMatch('x', [])).toEqual({ kind: 'none', closest: [] });
  });

  it('allows more edits for longer names, never more than three', () => {
    expect([allowedEdits(3), allowedEdits(8), allowedEdits(40)]).toEqual([1, 2, 3]);
    expect(orgDistance('ACME-analytics', ORGS[0] as Org)).toBe(0);
  });
});
