import { describe, expect, it } from 'vitest';
import { ACTION_IDS, ACTION_PREFIXES, RETRY_PROVIDER_ACTION } from '../../../src/blocks/ids.ts';
import { reportMessage } from '../../../src/blocks/report-message.ts';
import { statusMessage } from '../../../src/blocks/status-message.ts';
import { formatCoverageReport } from '../../../src/blocks/text-report.ts';
import { decodeRepairScope } from '../../../src/blocks/values.ts';
import { DEFAULT_PRICES } from '../../../src/config.ts';
import { priceNight } from '../../../src/coverage/cost-math.ts';
import type { CoverageReport } from '../../../src/coverage/types.ts';
import { checkBlockKitLimits } from '../../support/block-kit-limits.ts';
import { failingNight, failures, type Miss } from '../../support/failing-night.ts';
import { longName, longPrompt, makeReport } from '../../support/report-factory.ts';
import { action, actionsOf, blocksOf, visibleText } from '../../support/view-inspect.ts';

const now = new Date('2026-03-08T12:00:00Z');
const retryId = `${ACTION_PREFIXES.retryProvider}perplexity`;

/**
 * Perplexity rate limited in orgs 0-5 (30 of its 100 units); besides, org 0 has an openai auth
 * failure of its own and org 7 a server error. Orgs 1-5 have nothing but perplexity's misses.
 * The night's cost: perplexity at $0.002 a call, so a retry of 30 units is about $0.06.
 */
function perplexityNight(extra: Miss[] = []): CoverageReport {
  const report = failingNight([
    ...failures('perplexity', 30, 6),
    { org: 0, prompt: 8, provider: 'openai', reason: 'auth', error: 'openai 401: invalid key' },
    { org: 7, prompt: 0, provider: 'openai', reason: 'server', error: 'openai 502: Bad Gateway' },
    ...extra,
  ]);
  const prices = { ...DEFAULT_PRICES, perplexity: { in: 1, out: 1 } };
  report.cost = priceNight(
    [{ provider: 'perplexity', calls: 1_000, tokensIn: 1_000_000, tokensOut: 1_000_000 }],
    prices,
  );
  return report;
}

describe('the root-cause line in the morning report', () => {
  it('says the provider, failures, orgs, share and dominant class in one line above the org list', () => {
    const view = reportMessage({ report: perplexityNight(), now });
    const text = visibleText(view);
    const line = '🔥 *Perplexity*: 30 failures across 6 orgs (30% of its units), all rate limited (HTTP 429)';
    expect(text).toContain(line);
    expect(text.indexOf(line)).toBeLessThan(text.indexOf('*Missing prompts by org*'));
    expect(checkBlockKitLimits(view, 'message')).toEqual([]);
  });

  it('leaves those units out of the per-org list and says where they are', () => {
    const text = visibleText(reportMessage({ report: perplexityNight(), now }));
    // Only the orgs' own misses are listed: org 0's openai auth failure and org 7's server error.
    expect(text).toContain(
      '*Missing prompts by org*, worst first: 2 prompts not fully covered in 2 orgs · 30 more units under Perplexity above',
    );
    expect(text).toMatch(
      /• \*Org 0\*: 1 prompt not fully covered \(1 partly covered\) · openai API key rejected 1$/m,
    );
    expect(text).toMatch(/• \*Org 7\*: 1 prompt not fully covered/);
    // Orgs whose only misses were perplexity's are gone from the list.
    expect(text).not.toMatch(/• \*Org [1-5]\*/);
    expect(text).not.toMatch(/perplexity rate limited \d/);
  });

  it('offers "Retry Perplexity only", whose value is a repair of perplexity’s missing units', () => {
    const view = reportMessage({ report: perplexityNight(), now });
    const retry = action(view, retryId);
    expect(retry?.text.text).toBe('Retry Perplexity only');
    expect(RETRY_PROVIDER_ACTION.test(retry?.action_id)).toBe(true);
    expect(decodeRepairScope(retry?.value)).toEqual({
      runDate: '2026-03-08',
      units: 'missing',
      provider: 'perplexity',
    });
    // The button sits on the line itself, beside the report's own Repair.
    const section = blocksOf(view).find((b) => b.accessory?.action_id === retryId);
    expect(section?.text.text).toMatch(/^🔥 \*Perplexity\*/);
    expect(action(view, ACTION_IDS.repair)).toBeDefined();
  });

  it('confirms the scope, the unit count and the estimated cost before anything is written', () => {
    const retry = action(reportMessage({ report: perplexityNight(), now }), retryId);
    expect(retry?.confirm.title.text).toBe('Retry Perplexity only?');
    expect(retry?.confirm.confirm.text).toBe('Retry');
    expect(retry?.confirm.deny.text).toBe('Cancel');
    expect(retry?.confirm.text.text).toBe(
      'Re-run 30 missing Perplexity units in 6 orgs for Sun, Mar 8, 2026?\n' +
        'Scope: missing units, Perplexity only, every org; snoozed units stay as they are.\n' +
        'Estimated cost ≈ $0.06',
    );
  });

  it('counts in the confirm the provider’s units never queued too, which the repair also enqueues', () => {
    const report = perplexityNight([
      { org: 9, prompt: 0, provider: 'perplexity', reason: 'not_scheduled', error: null },
    ]);
    const retry = action(reportMessage({ report, now }), retryId);
    expect(retry?.confirm.text.text).toMatch(/^Re-run 31 missing Perplexity units in 7 orgs/);
  });

  it('shows the line without its button while a repair runs', () => {
    const view = reportMessage({
      report: perplexityNight(),
      repair: { userId: 'U0ADMIN01', startedAt: now, units: 32, done: 1, failed: 0 },
      now,
    });
    expect(visibleText(view)).toContain('🔥 *Perplexity*');
    expect(actionsOf(view).some((a) => RETRY_PROVIDER_ACTION.test(a.action_id))).toBe(false);
  });

  it('says so when every miss is under a root cause', () => {
    const text = visibleText(reportMessage({ report: failingNight(failures('perplexity', 30, 6)), now }));
    expect(text).toContain('🔥 *Perplexity*: 30 failures across 6 orgs');
    expect(text).toContain('No org has a miss of its own: all 30 missing units are under Perplexity above.');
    expect(text).not.toContain('*Missing prompts by org*');
  });

  it('names "mostly" the dominant class when the failures are of several', () => {
    const report = failingNight([
      ...failures('perplexity', 20, 5),
      ...failures('perplexity', 5, 5, { reason: 'timeout', error: 'perplexity: ETIMEDOUT' }).map((m) => ({
        ...m,
        prompt: m.prompt + 5,
      })),
    ]);
    expect(visibleText(reportMessage({ report, now }))).toContain(
      '🔥 *Perplexity*: 25 failures across 5 orgs (25% of its units), mostly rate limited (HTTP 429)',
    );
  });

  it('has no line and no retry button on a night without a provider-wide failure', () => {
    const view = reportMessage({ report: makeReport(), now });
    expect(visibleText(view)).not.toContain('🔥');
    expect(visibleText(view)).not.toContain('under Perplexity above');
    expect(actionsOf(view).some((a) => RETRY_PROVIDER_ACTION.test(a.action_id))).toBe(false);
  });

  it('stays within Block Kit limits with all four providers failing in 1,000 orgs of long names', () => {
    const providers = ['openai', 'anthropic', 'gemini', 'perplexity'] as const;
    const report = failingNight(
      providers
        .flatMap((p) => failures(p, 3_000, 1_000))
        // And in every org a unit never queued: not a failure, so each org still has a line.
        .concat(
          failures('openai', 1_000, 1_000).map((m) => ({
            ...m,
            prompt: 5,
            reason: 'not_scheduled' as const,
          })),
        ),
      { orgs: 1_000, promptsPerOrg: 10, providers, orgName: longName, promptText: longPrompt },
    );
    for (const view of [reportMessage({ report, now }), statusMessage({ report, now })]) {
      expect(checkBlockKitLimits(view, 'message')).toEqual([]);
      expect(visibleText(view)).toContain('+990 more orgs (990 prompts)');
      const retries = actionsOf(view).filter((a) => RETRY_PROVIDER_ACTION.test(a.action_id));
      expect(retries.map((a) => a.text.text).sort()).toEqual([
        'Retry Anthropic only',
        'Retry Gemini only',
        'Retry OpenAI only',
        'Retry Perplexity only',
      ]);
    }
  });
});

describe('the root-cause line in /sched-status', () => {
  it('shows the line with its button above an org list without those units', () => {
    const view = statusMessage({ report: perplexityNight(), now });
    const text = visibleText(view);
    expect(text).toContain('🔥 *Perplexity*: 30 failures across 6 orgs');
    expect(text).toContain('2 prompts not fully covered in 2 orgs · 30 more units under Perplexity above');
    expect(action(view, retryId)?.text.text).toBe('Retry Perplexity only');
    expect(checkBlockKitLimits(view, 'message')).toEqual([]);
  });
});

describe('the root-cause line in the text report', () => {
  it('lists the root causes, then the missing prompts without their units', () => {
    const text = formatCoverageReport(perplexityNight());
    expect(text).toContain(
      'Root causes (left out of the missing prompts below):\n' +
        '  Perplexity: 30 failures across 6 orgs (30% of its units), all rate limited (HTTP 429)\n',
    );
    expect(text).toContain('Missing prompts (2 not fully covered; 30 more units under Perplexity above):');
    expect(text).toContain('  Org 0\n    - Prompt 0.8  [openai: API key rejected]');
    expect(text).toContain('  Org 7\n    - Prompt 7.0  [openai: provider server error]');
    expect(text).not.toMatch(/^ {2}Org [1-5]$/m);
    expect(text).not.toContain('[perplexity: rate limited]');
  });

  it('says when no miss is left besides the root causes', () => {
    const text = formatCoverageReport(failingNight(failures('perplexity', 30, 6)));
    expect(text).toContain('Missing prompts: none besides the root causes above.');
  });

  it('has no root-cause section on a night without one', () => {
    expect(formatCoverageReport(makeReport())).not.toContain('Root causes');
  });
});

describe('unusable answers in the failure causes', () => {
  it('name an empty answer and a blocked one in words, in the report and the CLI text', () => {
    const report = failingNight([
      {
        org: 0,
        prompt: 0,
        provider: 'openai',
        reason: 'empty_answer',
        error: 'openai: empty answer (finish reason stop)',
      },
      {
        org: 1,
        prompt: 0,
        provider: 'perplexity',
        reason: 'content_filtered',
        error: 'perplexity: answer blocked (finish reason content_filter)',
      },
    ]);
    const slack = visibleText(reportMessage({ report, now: new Date('2026-03-08T09:00:00Z') }));
    const text = formatCoverageReport(report);
    for (const words of ['empty answer', 'blocked or filtered by the provider']) {
      expect(slack).toContain(words);
      expect(text).toContain(words);
    }
  });
});
