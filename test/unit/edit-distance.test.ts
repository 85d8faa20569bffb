import { describe, expect, it } from 'vitest';
import { editDistance } from '../../src/orgs/edit-distance.ts';

describe('editDistance', () => {
  it('counts insertions, deletions and substitutions', () => {
    expect(editDistance('', '')).toBe(0);
    expect(editDistance('abc', '')).toBe(3);
    expect(editDistance('', 'abc')).toBe(3);
    expect(editDistance('kitten', 'sitting')).toBe(3);
    expect(editDistance('flaw', 'lawn')).toBe(2);
    expect(editDistance('birch lbas', 'birch labs')).toBe(2);
    expect(editDistance('cobalt helth', 'cobalt health')).toBe(1);
  });

  it('is symmetric and zero only for equal strings', () => {
    for (const [a, b] of [
      ['meridan foods', 'meridian foods'],
      ['pinoeer capitol group', 'pioneer capital'],
      ['zephir', 'zephyr labs'],
    ] as const) {
      expect(editDistance(a, b)).toBe(editDistance(b, a));
      expect(editDistance(a, b)).toBeGreaterThan(0);
      expect(editDistance(a, a)).toBe(0);
    }
  });
});
