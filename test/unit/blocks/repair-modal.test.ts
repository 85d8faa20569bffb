import { describe, expect, it } from 'vitest';
import { ACTION_IDS, BLOCK_IDS, EVERY_PROVIDER, REPAIR_CONFIRM_FRESH } from '../../../src/blocks/ids.ts';
import { parseRepairSubmission, scopePreviewLine } from '../../../src/blocks/repair-modal.ts';
import { decodeRepairModalMetadata, encodeRepairModalMetadata } from '../../../src/blocks/values.ts';

const values = (units: string | undefined, provider: string | undefined) => ({
  [BLOCK_IDS.repairModalScope]: {
    [ACTION_IDS.repairModalScope]: { selected_option: units ? { value: units } : null },
  },
  [BLOCK_IDS.repairModalProvider]: {
    [ACTION_IDS.repairModalProvider]: { selected_option: provider ? { value: provider } : null },
  },
});

describe('the repair modal', () => {
  it('reads a scope with or without a provider', () => {
    expect(parseRepairSubmission(values('failed', 'openai'))).toEqual({
      ok: true,
      scope: { units: 'failed', provider: 'openai' },
      confirmFresh: false,
    });
    expect(parseRepairSubmission(values('all', EVERY_PROVIDER))).toEqual({
      ok: true,
      scope: { units: 'all' },
      confirmFresh: false,
    });
    expect(parseRepairSubmission(values('missing', undefined))).toEqual({
      ok: true,
      scope: { units: 'missing' },
      confirmFresh: false,
    });
  });

  it('reads the confirm box of a second "every unit" repair', () => {
    const ticked = {
      ...values('all', EVERY_PROVIDER),
      [BLOCK_IDS.repairModalConfirm]: {
        [ACTION_IDS.repairModalConfirm]: { selected_options: [{ value: REPAIR_CONFIRM_FRESH }] },
      },
    };
    expect(parseRepairSubmission(ticked)).toEqual({ ok: true, scope: { units: 'all' }, confirmFresh: true });
  });

  it('answers a missing or forged choice in the modal', () => {
    expect(parseRepairSubmission(values(undefined, 'openai'))).toEqual({
      ok: false,
      errors: { [BLOCK_IDS.repairModalScope]: 'Pick which units.' },
    });
    expect(parseRepairSubmission(values('everything', 'mistral'))).toEqual({
      ok: false,
      errors: {
        [BLOCK_IDS.repairModalScope]: 'Pick which units.',
        [BLOCK_IDS.repairModalProvider]: 'Pick a provider.',
      },
    });
  });

  it('states units, orgs, providers and cost per scope', () => {
    expect(scopePreviewLine('failed', { units: 3, orgs: 2, byProvider: { gemini: 3 }, usd: 0.5 })).toBe(
      '*Failed units only*: 3 units in 2 orgs (gemini 3), estimated cost ≈ $0.50',
    );
    expect(scopePreviewLine('all', { units: 0, orgs: 0, byProvider: {}, usd: 0 })).toBe(
      '*Every unit again*: nothing to enqueue',
    );
  });

  it('carries the night, the report message and the response_url, and refuses anything else', () => {
    const message = { channel: 'C1', ts: '1700000000.000100' };
    const text = encodeRepairModalMetadata({
      runDate: '2026-03-08',
      message,
      responseUrl: 'https://hooks.example/r/1',
    });
    expect(decodeRepairModalMetadata(text)).toEqual({
      runDate: '2026-03-08',
      message,
      responseUrl: 'https://hooks.example/r/1',
    });
    expect(decodeRepairModalMetadata('{"d":"2026-02-30"}')).toBeUndefined();
    expect(decodeRepairModalMetadata('{"d":"2026-03-08","x":1}')).toBeUndefined();
  });
});
