import { describe, expect, it } from 'vitest';
import { toNightProgress } from '../../src/blocks/night-progress.ts';
import { decodeRerunMetadata, encodeRerunMetadata } from '../../src/blocks/rerun-metadata.ts';
import { SchedError } from '../../src/errors.ts';
import { parseHistoryArgument } from '../../src/listeners/commands/sched-history.ts';
import { parseRerunArgument } from '../../src/listeners/commands/sched-rerun.ts';
import { parseStatusArgument } from '../../src/listeners/commands/sched-status.ts';
import { buildProgress } from '../../src/scheduler/progress.ts';
import { scrubSecrets } from '../../src/secrets.ts';
import { describeRequest, INTERNAL_ERROR_SENTENCE, userSentence } from '../../src/slack/app-error.ts';

/** The pure pieces of the Slack handlers: argument parsing, metadata, error sentences, progress shape. */

const TODAY = '2026-03-08';

describe('parseStatusArgument', () => {
  it.each([
    ['', { kind: 'date', runDate: TODAY }],
    ['2026-03-01', { kind: 'date', runDate: '2026-03-01' }],
    ['2024-02-29', { kind: 'date', runDate: '2024-02-29' }],
    ['acme', { kind: 'org', query: 'acme' }],
    ["'; drop table prompts; --", { kind: 'org', query: "'; drop table prompts; --" }],
  ])('reads %j', (text, expected) => {
    expect(parseStatusArgument(text, TODAY)).toEqual(expected);
  });

  it.each([
    ['2026-02-30', '2026-02-30', 'is not a date'],
    ['2025-02-29', '2025-02-29', 'is not a date'],
    ['2026-13-01', '2026-13-01', 'is not a date'],
    ['2026-3-8', '2026-3-8', 'is not a date'],
    ['tomorrow', '2026-03-09', 'has not happened yet'],
    ['5,000 characters', 'y'.repeat(5_000), '5000 characters long'],
  ])('refuses %s with one sentence', (_, text, sentence) => {
    const parsed = parseStatusArgument(text, TODAY);
    expect(parsed.kind).toBe('invalid');
    expect(parsed.kind === 'invalid' && parsed.sentence).toContain(sentence);
  });
});

describe('parseRerunArgument', () => {
  it.each([
    ['', { kind: 'modal', scope: 'missing' }],
    ['--all', { kind: 'modal', scope: 'all' }],
    ['acme analytics', { kind: 'org', query: 'acme analytics', scope: 'missing' }],
    ['acme analytics --all', { kind: 'org', query: 'acme analytics', scope: 'all' }],
    ['all-hands--all', { kind: 'org', query: 'all-hands--all', scope: 'missing' }],
    ['acme --failed', { kind: 'org', query: 'acme', scope: 'failed' }],
    [
      'acme analytics --failed --provider gemini',
      { kind: 'org', query: 'acme analytics', scope: 'failed', provider: 'gemini' },
    ],
    ['--provider=OpenAI acme', { kind: 'org', query: 'acme', scope: 'missing', provider: 'openai' }],
    [
      'acme --all --provider perplexity',
      { kind: 'org', query: 'acme', scope: 'all', provider: 'perplexity' },
    ],
    ['--failed --provider gemini', { kind: 'modal', scope: 'failed', provider: 'gemini' }],
    // A lone "--" is part of what was typed, not an option.
    ['robert -- x', { kind: 'org', query: 'robert -- x', scope: 'missing' }],
  ])('reads %j', (text, expected) => {
    expect(parseRerunArgument(text)).toEqual(expected);
  });

  it('refuses an argument longer than any org name', () => {
    expect(parseRerunArgument('z'.repeat(5_000)).kind).toBe('invalid');
  });

  it.each([
    ['both scopes', 'acme --failed --all', '--failed and --all exclude each other'],
    ['an unknown provider', 'acme --provider mistral', 'I do not know the provider “mistral”: one of openai'],
    ['a provider flag without a name', 'acme --provider', '--provider needs a provider name'],
    ['a provider flag followed by a flag', 'acme --provider --all', '--provider needs a provider name'],
    ['an unknown option', 'acme --everything', 'I do not know the option “--everything”'],
  ])('refuses %s with one sentence', (_, text, sentence) => {
    const parsed = parseRerunArgument(text);
    expect(parsed.kind).toBe('invalid');
    expect(parsed.kind === 'invalid' && parsed.sentence).toContain(sentence);
  });
});

describe('parseHistoryArgument', () => {
  it.each([
    ['', 14],
    ['1', 1],
    ['366', 366],
  ])('reads %j as %i days', (text, days) => {
    expect(parseHistoryArgument(text)).toEqual({ kind: 'days', days });
  });

  it.each([
    ['zero', '0'],
    ['past the limit', '367'],
    ['negative', '-3'],
    ['a fraction', '2.5'],
    ['a word', 'abc'],
    ['an exponent', '1e3'],
    ['5,000 digits', '9'.repeat(5_000)],
  ])('refuses %s', (_, text) => {
    expect(parseHistoryArgument(text).kind).toBe('invalid');
  });
});

describe('rerun modal metadata', () => {
  it('round-trips and refuses anything it did not write', () => {
    const m = { runDate: TODAY, channelId: 'C1', responseUrl: 'https://hooks.slack.com/commands/T/1/x' };
    expect(decodeRerunMetadata(encodeRerunMetadata(m))).toEqual(m);
    expect(decodeRerunMetadata(encodeRerunMetadata({ runDate: TODAY }))).toEqual({
      runDate: TODAY,
      channelId: undefined,
      responseUrl: undefined,
    });
    for (const bad of ['', 'not json', '{"d":"2026-02-30"}', '{"d":"2026-03-08","r":"javascript:x"}']) {
      expect(decodeRerunMetadata(bad)).toBeUndefined();
    }
  });
});

describe('error sentences', () => {
  it('shows a user error as it is and hides anything else behind one sentence', () => {
    expect(userSentence(new SchedError('not_found', 'No org "x".'))).toBe('No org "x".');
    expect(userSentence(new Error('connection reset by peer at 10.0.0.3'))).toBe(INTERNAL_ERROR_SENTENCE);
    expect(userSentence(new SchedError('internal', 'stack detail'))).toBe(INTERNAL_ERROR_SENTENCE);
  });

  it('describes a request for the log line without its text', () => {
    expect(describeRequest({ command: '/sched-status', user_id: 'U1', text: 'secret-ish' })).toEqual({
      type: 'slash_command',
      command: '/sched-status',
      action: undefined,
      callbackId: undefined,
      event: undefined,
      user: 'U1',
    });
    expect(
      describeRequest({
        type: 'block_actions',
        user: { id: 'U2' },
        actions: [{ action_id: 'repair_missing' }],
      }),
    ).toMatchObject({ type: 'block_actions', action: 'repair_missing', user: 'U2' });
  });
});

describe('toNightProgress', () => {
  const counts = { total: 10, completed: 4, failed: 1, cancelled: 0, pending: 3, processing: 2 };
  const now = new Date('2026-03-08T08:10:00Z');

  it('draws a running night and nothing once no task is live', () => {
    const running = buildProgress(
      TODAY,
      {
        started_at: '2026-03-08T08:00:00Z',
        finished_in_window: 5,
        orgs: [{ orgId: 'o1', name: 'Acme', ...counts }],
        providers: [{ provider: 'openai', ...counts }],
      },
      now,
    );
    expect(toNightProgress(running)).toEqual({
      runDate: TODAY,
      startedAt: new Date('2026-03-08T08:00:00Z'),
      overall: { total: 10, done: 5, failed: 1 },
      providers: [{ provider: 'openai', total: 10, done: 5, failed: 1 }],
      orgs: [{ orgId: 'o1', name: 'Acme', total: 10, done: 5, failed: 1 }],
      ratePerMinute: 1,
    });
    const finished = buildProgress(
      TODAY,
      {
        started_at: null,
        finished_in_window: 0,
        orgs: [],
        providers: [{ provider: 'openai', ...counts, pending: 0, processing: 0 }],
      },
      now,
    );
    expect(toNightProgress(finished)).toBeUndefined();
  });
});

describe('scrubSecrets', () => {
  it("removes Slack tokens and token fields from Bolt's log lines", () => {
    const line = scrubSecrets(
      '{"token":"verif-123","event":{"text":"xoxb-1-2-abc"}} token=legacy&text=hi Bearer xapp-1-A-xyz',
    );
    expect(line).not.toMatch(/verif-123|xoxb-1-2-abc|legacy|xapp-1-A-xyz/);
    expect(line).toContain('text=hi');
  });
});
