import { describe, expect, it } from 'vitest';
import { didYouMeanMessage } from '../../../src/blocks/did-you-mean-message.ts';
import {
  ACTION_IDS,
  BLOCK_IDS,
  CALLBACK_IDS,
  EVERY_PROVIDER,
  EXTERNAL_SELECT_ACTIONS,
} from '../../../src/blocks/ids.ts';
import { orgOptions } from '../../../src/blocks/org-options.ts';
import { parseRerunSubmission, rerunModal } from '../../../src/blocks/rerun-modal.ts';
import { decodeRerunPick } from '../../../src/blocks/values.ts';
import { PROVIDER_NAMES } from '../../../src/provider-names.ts';
import { checkBlockKitLimits } from '../../support/block-kit-limits.ts';
import { longName } from '../../support/report-factory.ts';
import { action, actionsOf, type Json, visibleText } from '../../support/view-inspect.ts';

const org = (i: number, name = `Org ${i}`) => ({
  id: `00000000-0000-4000-8000-${String(i).padStart(12, '0')}`,
  name,
  slug: `org-${i}`,
});

describe('rerunModal', () => {
  it('has an org typeahead (external select, 1 character) and the scope as radio buttons', () => {
    const view = rerunModal({ runDate: '2026-03-08' });
    expect(checkBlockKitLimits(view, 'modal')).toEqual([]);
    expect((view as Json).callback_id).toBe(CALLBACK_IDS.rerunModal);
    const orgField = action(view, ACTION_IDS.rerunModalOrg);
    expect(orgField).toMatchObject({ type: 'external_select', min_query_length: 1 });
    expect(EXTERNAL_SELECT_ACTIONS).toContain(ACTION_IDS.rerunModalOrg);
    const scope = action(view, ACTION_IDS.rerunModalScope);
    expect(scope?.type).toBe('radio_buttons');
    expect(scope?.options.map((o: { value: string }) => o.value)).toEqual(['missing', 'failed', 'all']);
    expect(scope?.initial_option.value).toBe('missing');
    // The provider: optional, every provider unless one is picked.
    const provider = action(view, ACTION_IDS.rerunModalProvider);
    expect(provider?.type).toBe('static_select');
    expect(provider?.options.map((o: { value: string }) => o.value)).toEqual([
      EVERY_PROVIDER,
      ...PROVIDER_NAMES,
    ]);
    expect(provider?.initial_option).toMatchObject({
      value: EVERY_PROVIDER,
      text: { text: 'Every provider' },
    });
    const block = ((view as Json).blocks as Json[]).find((b) => b.block_id === BLOCK_IDS.rerunModalProvider);
    expect(block?.optional).toBe(true);
    expect(visibleText(view)).toContain('Runs for Sun, Mar 8, 2026.');
  });

  it('preselects the org and scope it is given, and passes private metadata through', () => {
    const view = rerunModal({
      initialOrg: org(1, longName(1)),
      scope: 'failed',
      provider: 'gemini',
      privateMetadata: '{"channel":"C1"}',
    });
    expect(checkBlockKitLimits(view, 'modal')).toEqual([]);
    const initial = action(view, ACTION_IDS.rerunModalOrg)?.initial_option;
    expect(initial.value).toBe(org(1).id);
    expect(initial.text.text).toHaveLength(75);
    expect(action(view, ACTION_IDS.rerunModalScope)?.initial_option.value).toBe('failed');
    expect(action(view, ACTION_IDS.rerunModalProvider)?.initial_option.value).toBe('gemini');
    expect((view as Json).private_metadata).toBe('{"channel":"C1"}');
  });

  it('names the candidates of an ambiguous query, ten of them and how many more', () => {
    const view = rerunModal({ query: 'org <x>', orgs: Array.from({ length: 14 }, (_, i) => org(i)) });
    expect(checkBlockKitLimits(view, 'modal')).toEqual([]);
    const text = visibleText(view);
    expect(text).toContain('“org &lt;x&gt;” matches 14 orgs: *Org 0* (org-0)');
    expect(text).toContain('*Org 9* (org-9), +4 more. Pick one below.');
  });

  it('fits the largest preview: every scope, every provider, big numbers', () => {
    const split = PROVIDER_NAMES.map((provider) => ({ provider, units: 9_999_999, usd: 123_456.78 }));
    const estimate = { units: 39_999_996, usd: 493_827.12, byProvider: split };
    const view = rerunModal({
      initialOrg: org(1, longName(1)),
      cost: {
        perThousandUnits: [],
        estimates: { missing: estimate, failed: estimate, all: estimate },
      },
    });
    expect(checkBlockKitLimits(view, 'modal')).toEqual([]);
    expect(visibleText(view)).toContain(
      '*Failed prompts only*: 39,999,996 units, estimated cost ≈ $493,827.12 (openai 9,999,999 ≈ $123,456.78 ·',
    );
  });

  it("refuses private metadata over Slack's limit instead of cutting it", () => {
    expect(() => rerunModal({ privateMetadata: 'x'.repeat(3001) })).toThrow(/3000/);
  });
});

describe('parseRerunSubmission', () => {
  const values = (orgId: string | undefined, scope: string | undefined, provider?: string) => ({
    [BLOCK_IDS.rerunModalOrg]: {
      [ACTION_IDS.rerunModalOrg]: { selected_option: orgId ? { value: orgId } : null },
    },
    [BLOCK_IDS.rerunModalScope]: {
      [ACTION_IDS.rerunModalScope]: { selected_option: scope ? { value: scope } : null },
    },
    [BLOCK_IDS.rerunModalProvider]: {
      [ACTION_IDS.rerunModalProvider]: { selected_option: provider ? { value: provider } : null },
    },
  });

  it('reads the org, the scope and the provider', () => {
    expect(parseRerunSubmission(values('o1', 'all'))).toStrictEqual({
      ok: true,
      orgId: 'o1',
      scope: 'all',
      provider: undefined,
    });
    expect(parseRerunSubmission(values('o1', undefined))).toMatchObject({ ok: true, scope: 'missing' });
    expect(parseRerunSubmission(values('o1', 'failed', 'gemini'))).toStrictEqual({
      ok: true,
      orgId: 'o1',
      scope: 'failed',
      provider: 'gemini',
    });
    expect(parseRerunSubmission(values('o1', 'failed', EVERY_PROVIDER))).toMatchObject({
      scope: 'failed',
      provider: undefined,
    });
  });

  it('answers field errors keyed by block id', () => {
    expect(parseRerunSubmission(values(undefined, 'all'))).toEqual({
      ok: false,
      errors: { [BLOCK_IDS.rerunModalOrg]: 'Pick an org.' },
    });
    expect(parseRerunSubmission(values('o1', 'everything'))).toEqual({
      ok: false,
      errors: { [BLOCK_IDS.rerunModalScope]: 'Pick what to run.' },
    });
    expect(parseRerunSubmission(values('o1', 'failed', 'mistral'))).toEqual({
      ok: false,
      errors: { [BLOCK_IDS.rerunModalProvider]: 'Pick a provider, or every provider.' },
    });
    expect(parseRerunSubmission({})).toMatchObject({ ok: false });
  });
});

describe('orgOptions', () => {
  it('answers at most 100 options with texts of at most 75 characters and org ids as values', () => {
    const orgs = Array.from({ length: 250 }, (_, i) => ({ ...org(i, longName(i)), missing: i }));
    const response = orgOptions(orgs);
    expect(checkBlockKitLimits(response, 'options')).toEqual([]);
    expect(response.options).toHaveLength(100);
    expect(response.options[7]?.value).toBe(org(7).id);
    expect(response.options[7]?.text.text).toMatch(/… \(7 not fully covered\)$/);
  });

  it('shows name and slug for short names', () => {
    expect(orgOptions([org(1)]).options[0]?.text).toEqual({ type: 'plain_text', text: 'Org 1 · org-1' });
  });
});

describe('didYouMeanMessage', () => {
  it('says the scope asked for, and each button carries it with the provider', () => {
    const message = didYouMeanMessage({
      query: 'acme',
      suggestions: [org(1), org(2)],
      runDate: '2026-03-08',
      scope: 'failed',
      provider: 'gemini',
    });
    expect(checkBlockKitLimits(message, 'message')).toEqual([]);
    expect(visibleText(message)).toContain('Did you mean one of these (failed units only, gemini only)?');
    const values = actionsOf(message).map((button) => decodeRerunPick(button.value));
    expect(values).toEqual([
      { runDate: '2026-03-08', scope: 'failed', orgId: org(1).id, provider: 'gemini' },
      { runDate: '2026-03-08', scope: 'failed', orgId: org(2).id, provider: 'gemini' },
    ]);
    const everyProvider = didYouMeanMessage({
      query: 'acme',
      suggestions: [org(1)],
      runDate: '2026-03-08',
      scope: 'missing',
    });
    expect(decodeRerunPick(actionsOf(everyProvider)[0]?.value)).toEqual({
      runDate: '2026-03-08',
      scope: 'missing',
      orgId: org(1).id,
    });
  });
});
