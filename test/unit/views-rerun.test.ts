import { describe, expect, it } from 'vitest';
import { ACTION_IDS, BLOCK_IDS, CALLBACK_IDS, EXTERNAL_SELECT_ACTIONS } from '../../src/views/ids.ts';
import { orgOptions } from '../../src/views/org-options.ts';
import { parseRerunSubmission, rerunModal } from '../../src/views/rerun-modal.ts';
import { checkBlockKitLimits } from '../support/block-kit-limits.ts';
import { longName } from '../support/report-factory.ts';
import { action, type Json, visibleText } from '../support/view-inspect.ts';

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
    expect(visibleText(view)).toContain('Runs for Sun, Mar 8, 2026.');
  });

  it('preselects the org and scope it is given, and passes private metadata through', () => {
    const view = rerunModal({
      initialOrg: org(1, longName(1)),
      scope: 'all',
      privateMetadata: '{"channel":"C1"}',
    });
    expect(checkBlockKitLimits(view, 'modal')).toEqual([]);
    const initial = action(view, ACTION_IDS.rerunModalOrg)?.initial_option;
    expect(initial.value).toBe(org(1).id);
    expect(initial.text.text).toHaveLength(75);
    expect(action(view, ACTION_IDS.rerunModalScope)?.initial_option.value).toBe('all');
    expect((view as Json).private_metadata).toBe('{"channel":"C1"}');
  });

  it('names the candidates of an ambiguous query, ten of them and how many more', () => {
    const view = rerunModal({ query: 'org <x>', orgs: Array.from({ length: 14 }, (_, i) => org(i)) });
    expect(checkBlockKitLimits(view, 'modal')).toEqual([]);
    const text = visibleText(view);
    expect(text).toContain('“org &lt;x&gt;” matches 14 orgs: *Org 0* (org-0)');
    expect(text).toContain('*Org 9* (org-9), +4 more. Pick one below.');
  });

  it("refuses private metadata over Slack's limit instead of cutting it", () => {
    expect(() => rerunModal({ privateMetadata: 'x'.repeat(3001) })).toThrow(/3000/);
  });
});

describe('parseRerunSubmission', () => {
  const values = (orgId: string | undefined, scope: string | undefined) => ({
    [BLOCK_IDS.rerunModalOrg]: {
      [ACTION_IDS.rerunModalOrg]: { selected_option: orgId ? { value: orgId } : null },
    },
    [BLOCK_IDS.rerunModalScope]: {
      [ACTION_IDS.rerunModalScope]: { selected_option: scope ? { value: scope } : null },
    },
  });

  it('reads the org and the scope', () => {
    expect(parseRerunSubmission(values('o1', 'all'))).toEqual({ ok: true, orgId: 'o1', scope: 'all' });
    expect(parseRerunSubmission(values('o1', undefined))).toEqual({
      ok: true,
      orgId: 'o1',
      scope: 'missing',
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
