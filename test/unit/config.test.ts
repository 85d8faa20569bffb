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
      expect(message).toContain('TRIGGER_CRON: must be a 5-field cron expression');
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
