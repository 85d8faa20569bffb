import { describe, expect, it } from 'vitest';
import { ACTION_IDS, OPEN_NIGHT_ACTION, SNOOZE_ACTION } from '../../src/blocks/ids.ts';
import { unlessOneOf } from '../../src/listeners/index.ts';

describe('unlessOneOf: the catch-all for ids no listener takes', () => {
  const rest = unlessOneOf([ACTION_IDS.repair, 'a.b', OPEN_NIGHT_ACTION, SNOOZE_ACTION]);

  it('leaves every registered id and pattern to its own listener', () => {
    for (const id of [ACTION_IDS.repair, 'a.b', 'open_night:2026-11-29', 'snooze:3'])
      expect(rest.test(id)).toBe(false);
  });

  it('takes what differs, even by a prefix, a suffix or a metacharacter', () => {
    for (const id of [
      'repair_missing_old',
      'xrepair_missing',
      'axb',
      'open_nights',
      'x:open_night:1',
      '',
      'unknown',
    ])
      expect(rest.test(id)).toBe(true);
  });
});
