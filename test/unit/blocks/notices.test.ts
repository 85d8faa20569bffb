import { describe, expect, it } from 'vitest';
import { accessDenied } from '../../../src/blocks/access-denied.ts';
import { errorMessage } from '../../../src/blocks/error-message.ts';
import { repairAlreadyRunning } from '../../../src/blocks/repair-already-running.ts';
import {
  CONFIRM_TEXT_MAX,
  previewFromReport,
  repairConfirmText,
} from '../../../src/blocks/repair-confirm.ts';
import { rerunResultMessage } from '../../../src/blocks/rerun-result-message.ts';
import { unknownOrgMessage } from '../../../src/blocks/unknown-org-message.ts';
import { checkBlockKitLimits } from '../../support/block-kit-limits.ts';
import { makeReport } from '../../support/report-factory.ts';

/** The one-sentence answers: text and block say the same, user text cannot mention or link. */
function sentence(view: { text?: string; blocks?: unknown[] }) {
  expect(checkBlockKitLimits(view, 'message')).toEqual([]);
  const block = (view.blocks?.[0] ?? {}) as { text?: { text?: string } };
  expect(block.text?.text).toBe(view.text);
  return view.text ?? '';
}

describe('repairConfirmText', () => {
  it('says how many units in how many orgs, per provider, largest first', () => {
    expect(repairConfirmText({ units: 161, orgs: 12, byProvider: { openai: 41, perplexity: 120 } })).toBe(
      'Re-run 161 missing units in 12 orgs?\nperplexity 120 · openai 41',
    );
    expect(repairConfirmText({ units: 1, orgs: 1, byProvider: { gemini: 1 } })).toBe(
      'Re-run 1 missing unit in 1 org?\ngemini 1',
    );
  });

  it('warns when the nightly trigger has not run, and says when there is nothing to do', () => {
    expect(
      repairConfirmText({ units: 5, orgs: 1, byProvider: { openai: 5 }, nightlyTriggered: false }),
    ).toContain('The nightly trigger has not run for this date');
    expect(repairConfirmText({ units: 0, orgs: 0, byProvider: {} })).toMatch(/would enqueue nothing/);
  });

  it('stays within the 300 characters of a confirm dialog', () => {
    const byProvider = Object.fromEntries(
      Array.from({ length: 50 }, (_, i) => [`provider-${i}`, 1_000_000 + i]),
    );
    expect(repairConfirmText({ units: 123_456_789, orgs: 99_999, byProvider }).length).toBeLessThanOrEqual(
      CONFIRM_TEXT_MAX,
    );
  });

  it('derives a preview from a report: its missing units per provider and the orgs they belong to', () => {
    const report = makeReport({ orgsMissing: 4 });
    const preview = previewFromReport(report);
    expect(preview.units).toBe(report.units.missing);
    expect(preview.orgs).toBe(4);
    expect(Object.values(preview.byProvider).reduce((a, b) => a + b, 0)).toBe(report.units.missing);
  });
});

describe('repairAlreadyRunning', () => {
  it('names who started it and when, as a date token', () => {
    const text = sentence(
      repairAlreadyRunning({
        userId: 'U123',
        startedAt: new Date('2026-03-08T12:02:00Z'),
        timezone: 'America/New_York',
      }),
    );
    expect(text).toBe(
      '⏳ A repair is already running, started by <@U123> <!date^1772971320^{date_short_pretty} at {time}|2026-03-08 08:02 EDT>. Nothing new was started.',
    );
  });
});

describe('accessDenied', () => {
  it('names the admins and the admin group', () => {
    expect(sentence(accessDenied({ adminUsers: ['U1AA', 'U2BB'], adminUsergroup: 'S0ADMINS' }))).toBe(
      '🔒 Only <@U1AA>, <@U2BB> or members of <!subteam^S0ADMINS> may repair or rerun.',
    );
    expect(sentence(accessDenied({ adminUsers: ['U1AA'], action: 'repair' }))).toBe(
      '🔒 Only <@U1AA> may repair.',
    );
  });

  it('says how to allow someone when no admin is configured', () => {
    expect(sentence(accessDenied({ adminUsers: [] }))).toMatch(
      /Nobody may repair or rerun yet: .*SLACK_ADMIN_USERS or SLACK_ADMIN_USERGROUP/,
    );
  });

  it('names ten admins and counts the rest; a malformed id is shown as text, not as a mention', () => {
    const many = Array.from({ length: 25 }, (_, i) => `U${String(i).padStart(4, '0')}`);
    expect(sentence(accessDenied({ adminUsers: many }))).toContain('<@U0009> or 15 others may');
    expect(sentence(accessDenied({ adminUsers: ['<!channel>'], adminUsergroup: '<!here>' }))).toBe(
      '🔒 Only &lt;!channel&gt; or members of &lt;!here&gt; may repair or rerun.',
    );
  });
});

describe('errorMessage', () => {
  it('is one escaped sentence', () => {
    expect(sentence(errorMessage('The database did not answer <@U1> & co'))).toBe(
      '⚠️ The database did not answer &lt;@U1&gt; &amp; co',
    );
    expect(sentence(errorMessage('x'.repeat(5000))).length).toBeLessThanOrEqual(510);
  });
});

describe('unknownOrgMessage', () => {
  it('names the closest orgs and how to ask for the first', () => {
    const text = sentence(
      unknownOrgMessage('acmee', [
        { name: 'Acme', slug: 'acme' },
        { name: 'Acne Studios', slug: 'acne' },
      ]),
    );
    expect(text).toBe(
      '🔍 No org matches “acmee”. Closest: *Acme* (acme), *Acne Studios* (acne). Try `/sched-rerun acme`.',
    );
  });

  it('survives 5,000 characters, quotes, SQL and markup in the query', () => {
    const text = sentence(
      unknownOrgMessage(`'; drop table organizations; -- <!channel> ${'a'.repeat(5000)}`, []),
    );
    expect(text).toContain('&lt;!channel&gt;');
    expect(text.length).toBeLessThan(200);
  });

  it('asks for an org when the query is empty', () => {
    expect(sentence(unknownOrgMessage('   ', []))).toBe('🔍 Name an org: by name, slug or id.');
  });
});

describe('rerunResultMessage', () => {
  const base = {
    org: { name: 'Acme & Co' },
    runDate: '2026-03-08',
    scope: 'missing' as const,
    byProvider: { openai: 3, perplexity: 5 },
  };

  it('says what was enqueued, by whom, and the scope', () => {
    expect(sentence(rerunResultMessage({ outcome: { ...base, tasks: 8 }, userId: 'U123' }))).toBe(
      '🔁 Rerun of *Acme &amp; Co* for Sun Mar 8 started by <@U123>: 8 units (perplexity 5 · openai 3), missing units.',
    );
    const scoped = {
      ...base,
      scope: 'failed' as const,
      provider: 'perplexity',
      byProvider: { perplexity: 5 },
    };
    expect(sentence(rerunResultMessage({ outcome: { ...scoped, tasks: 5 }, userId: 'U123' }))).toContain(
      ': 5 units (perplexity 5), failed units only, perplexity only.',
    );
  });

  it('says why nothing was enqueued', () => {
    expect(
      sentence(rerunResultMessage({ outcome: { ...base, tasks: 0, byProvider: {} }, userId: 'U1' })),
    ).toContain(
      'Nothing to rerun for *Acme &amp; Co* on Sun Mar 8 (missing units): every prompt already ran or is already queued.',
    );
    expect(
      sentence(
        rerunResultMessage({
          outcome: { ...base, tasks: 0, notEligible: "Acme's subscription is canceled" },
          userId: 'U1',
        }),
      ),
    ).toBe("⚠️ Nothing to rerun: Acme's subscription is canceled.");
  });
});
