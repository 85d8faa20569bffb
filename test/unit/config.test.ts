import { describe, expect, it } from 'vitest';
import { hasSlackCredentials, loadConfig } from '../../src/config.ts';

describe('loadConfig', () => {
  it('has working defaults for a fresh machine', () => {
    const config = loadConfig({});
    expect(config.timezone).toBe('America/New_York');
    expect(config.port).toBe(3000);
    expect(config.cron).toEqual({ trigger: '0 3 * * *', reconciler: '*/5 * * * *', postcheck: '0 4 * * *' });
    expect(config.databaseUrl).toBeUndefined();
    expect(config.pgliteDir).toBe('.data/pglite');
    expect(hasSlackCredentials(config)).toBe(false);
  });

  it('implies the demo profile only for the local console', () => {
    expect(loadConfig({}).simulatedProfile).toBe('demo');
    expect(
      loadConfig({ SLACK_BOT_TOKEN: 'xoxb-1', SLACK_SIGNING_SECRET: 's' }).simulatedProfile,
    ).toBeUndefined();
    expect(loadConfig({ DATABASE_URL: 'postgres://x@y/z' }).simulatedProfile).toBeUndefined();
    expect(
      loadConfig({ DATABASE_URL: 'postgres://x@y/z', SIMULATED_PROFILE: 'ideal' }).simulatedProfile,
    ).toBe('ideal');
  });

  it('takes an optional http(s) HEARTBEAT_URL, and a bad one is refused without echoing it', () => {
    expect(loadConfig({}).heartbeatUrl).toBeUndefined();
    expect(loadConfig({ HEARTBEAT_URL: 'https://hc.example/ping/tok-1' }).heartbeatUrl).toBe(
      'https://hc.example/ping/tok-1',
    );
    expect(() => loadConfig({ HEARTBEAT_URL: 'hc.example/ping/tok-2' })).toThrowError(
      /HEARTBEAT_URL: must be an http\(s\) URL/,
    );
    try {
      loadConfig({ HEARTBEAT_URL: 'ftp://hc.example/ping/tok-3' });
    } catch (error) {
      expect((error as Error).message).not.toContain('tok-3');
    }
  });

  it('takes an optional http(s) RUNBOOK_URL', () => {
    expect(loadConfig({}).runbookUrl).toBeUndefined();
    expect(loadConfig({ RUNBOOK_URL: 'https://wiki.example.com/sched#runbook' }).runbookUrl).toBe(
      'https://wiki.example.com/sched#runbook',
    );
    expect(() => loadConfig({ RUNBOOK_URL: 'ftp://wiki.example.com/runbook' })).toThrowError(
      /RUNBOOK_URL: must be an http\(s\) URL/,
    );
    expect(() => loadConfig({ RUNBOOK_URL: 'the wiki' })).toThrowError(/RUNBOOK_URL/);
  });

  it('takes SLACK_ONCALL as a user or user-group id, and PagerDuty with its default endpoint', () => {
    expect(loadConfig({ SLACK_ONCALL: 'U0123ABC' }).slack.oncall).toBe('U0123ABC');
    expect(loadConfig({ SLACK_ONCALL: 'S0ONCALL' }).slack.oncall).toBe('S0ONCALL');
    expect(loadConfig({}).slack.oncall).toBeUndefined();
    for (const bad of ['@dana', 'C0123ABC', '<@U0123>', 'u0123abc'])
      expect(() => loadConfig({ SLACK_ONCALL: bad })).toThrowError(
        /SLACK_ONCALL: must be a Slack user id \(U… or W…\) or user-group id \(S…\)/,
      );
    expect(loadConfig({}).pagerDuty).toEqual({
      routingKey: undefined,
      eventsUrl: 'https://events.pagerduty.com/v2/enqueue',
    });
    expect(loadConfig({ PAGERDUTY_EVENTS_URL: 'http://127.0.0.1:9/v2/enqueue' }).pagerDuty.eventsUrl).toBe(
      'http://127.0.0.1:9/v2/enqueue',
    );
    expect(() => loadConfig({ PAGERDUTY_EVENTS_URL: 'events.pagerduty.com' })).toThrowError(
      /PAGERDUTY_EVENTS_URL: must be an http\(s\) URL/,
    );
  });

  it('SIMULATED_FAILING takes provider names and refuses others', () => {
    expect(loadConfig({ SIMULATED_FAILING: 'perplexity, gemini' }).simulatedFailing).toEqual([
      'perplexity',
      'gemini',
    ]);
    expect(loadConfig({}).simulatedFailing).toEqual([]);
    expect(() => loadConfig({ SIMULATED_FAILING: 'perplexity,mistral' })).toThrowError(
      /SIMULATED_FAILING: must be provider names/,
    );
  });

  it('names every bad variable in one line', () => {
    expect(() =>
      loadConfig({
        PORT: 'eighty',
        SCHED_TIMEZONE: 'Mars/Base',
        SIMULATED_PROFILE: 'chaos',
        DATABASE_URL: 'mysql://x',
      }),
    ).toThrowError(/^Invalid configuration: .*PORT.*SCHED_TIMEZONE.*SIMULATED_PROFILE/);
    expect(() => loadConfig({ DATABASE_URL: 'mysql://x' })).toThrowError(
      /DATABASE_URL: must be a postgres:\/\/ URL/,
    );
    try {
      loadConfig({ AUTO_REPAIR: 'sometimes', TRIGGER_CRON: '0 3 * *' });
    } catch (error) {
      const message = (error as Error).message;
      expect(message).toContain('AUTO_REPAIR: must be true or false');
      expect(message).toContain('TRIGGER_CRON: not a valid cron expression');
      expect(message).not.toContain('\n');
      return;
    }
    throw new Error('loadConfig accepted bad values');
  });

  it('reads lists and per-provider settings', () => {
    const config = loadConfig({
      SLACK_ADMIN_USERS: 'U1, U2,,U3',
      OPENAI_API_KEY: 'sk-test',
      OPENAI_MODEL: 'gpt-x',
      ANTHROPIC_RPM: '10',
      AUTO_REPAIR: 'true',
    });
    expect(config.slack.adminUsers).toEqual(['U1', 'U2', 'U3']);
    expect(config.providers.openai).toMatchObject({ apiKey: 'sk-test', model: 'gpt-x' });
    expect(config.providers.anthropic.rpm).toBe(10);
    expect(config.autoRepair).toBe(true);
  });
});

describe('loadConfig is strict', () => {
  const refusal = (env: Record<string, string>): string => {
    try {
      loadConfig(env);
    } catch (error) {
      return (error as Error).message;
    }
    throw new Error(`loadConfig accepted ${JSON.stringify(env)}`);
  };

  it('reads integers only as plain decimal digits', () => {
    for (const bad of ['0x10', '1e2', '1.0', ' 8', '8 ', '+8', '-8', '0b11', '８', 'Infinity']) {
      expect(refusal({ WORKER_CONCURRENCY: bad })).toMatch(/^Invalid configuration: WORKER_CONCURRENCY: /);
    }
    expect(refusal({ PORT: '3e3' })).toMatch(/PORT: must be a whole number/);
    expect(refusal({ OPENAI_RPM: '0x10' })).toMatch(/OPENAI_RPM: /);
    expect(loadConfig({ WORKER_CONCURRENCY: '16' }).worker.concurrency).toBe(16);
    expect(loadConfig({ WORKER_CONCURRENCY: '' }).worker.concurrency).toBe(8);
    expect(loadConfig({ PORT: '0' }).port).toBe(0);
    expect(refusal({ WORKER_CONCURRENCY: '0' })).toMatch(/WORKER_CONCURRENCY: /);
  });

  it('reads percentages as plain decimals', () => {
    for (const bad of ['0x10', '1e2', ' 95', '95%', '.5']) {
      expect(refusal({ HEALTH_PROMPT_THRESHOLD: bad })).toMatch(/HEALTH_PROMPT_THRESHOLD: /);
    }
    expect(loadConfig({ HEALTH_ORG_THRESHOLD: '97.5' }).thresholds.orgPercent).toBe(97.5);
    expect(loadConfig({}).thresholds.providerPercent).toBe(95);
    expect(loadConfig({ HEALTH_PROVIDER_THRESHOLD: '90' }).thresholds.providerPercent).toBe(90);
    for (const bad of ['101', '-1', '95%', 'x']) {
      expect(refusal({ HEALTH_PROVIDER_THRESHOLD: bad })).toMatch(/HEALTH_PROVIDER_THRESHOLD: /);
    }
  });

  it('accepts only http(s) URLs', () => {
    for (const bad of ['ftp://x', 'file:///etc/passwd', 'javascript:alert(1)', 'mailto:a@b.c', 'x']) {
      expect(refusal({ OPENAI_BASE_URL: bad })).toMatch(/OPENAI_BASE_URL: must be an http\(s\) URL/);
    }
    expect(refusal({ SLACK_API_URL: 'ws://127.0.0.1:1/api/' })).toMatch(/SLACK_API_URL: /);
    expect(loadConfig({ OPENAI_BASE_URL: 'http://127.0.0.1:8080/v1' }).providers.openai.baseUrl).toBe(
      'http://127.0.0.1:8080/v1',
    );
    expect(loadConfig({ SLACK_API_URL: 'https://slack.com/api/' }).slack.apiUrl).toBe(
      'https://slack.com/api/',
    );
  });

  it('wants a CRON_SECRET of at least 16 characters', () => {
    expect(refusal({ CRON_SECRET: 'x' })).toMatch(/CRON_SECRET: must be at least 16 characters/);
    expect(refusal({ CRON_SECRET: '0123456789abcde' })).toMatch(/CRON_SECRET: /);
    // The secret itself never appears in the message.
    expect(refusal({ CRON_SECRET: 'hunter2' })).not.toContain('hunter2');
    expect(loadConfig({ CRON_SECRET: '0123456789abcdef' }).cronSecret).toBe('0123456789abcdef');
    expect(loadConfig({ CRON_SECRET: '' }).cronSecret).toBeUndefined();
  });

  it('checks cron expressions with the parser the scheduler uses', () => {
    expect(refusal({ TRIGGER_CRON: '99 99 * * *' })).toMatch(/^Invalid configuration: TRIGGER_CRON: /);
    expect(refusal({ RECONCILER_CRON: '*/0 * * * *' })).toMatch(/RECONCILER_CRON: /);
    expect(refusal({ POSTCHECK_CRON: '0 4 31 2 * extra' })).toMatch(/POSTCHECK_CRON: /);
    expect(refusal({ POSTCHECK_CRON: '0 4 * * FUNDAY' })).toMatch(/POSTCHECK_CRON: /);
  });
});
