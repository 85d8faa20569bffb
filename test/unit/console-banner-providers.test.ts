import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.ts';
import { describeProviders } from '../../src/console/local-workspace.ts';
import { demoHint } from '../../src/db/seed-policy.ts';
import type { ProviderSettings } from '../../src/providers/provider-settings.ts';
import { createProviderAdapters } from '../../src/providers/registry.ts';
import { withSimulatedLimits } from '../../src/providers/simulated-limits.ts';
import { PROVIDER_NAMES } from '../../src/providers/types.ts';

/**
 * The first screen reads the providers from the `providers` table (what the night expects), not
 * from this process's environment: on PostgreSQL the banner said "openai (simulated, demo)" while
 * the report said "disabled". Where the two disagree it says so, with the one command that aligns
 * them.
 */

const rows = (enabled: boolean, rpm = 50): ProviderSettings[] =>
  PROVIDER_NAMES.map((name) => ({
    name,
    enabled,
    model: 'm',
    rpm,
    maxConcurrency: 8,
    pausedUntil: null,
    pauseReason: null,
  }));
const demoEnv = { DATABASE_URL: 'postgres://x@127.0.0.1/db', SIMULATED_PROFILE: 'demo' };

describe('the banner providers line', () => {
  it('shows the table: disabled rows are disabled, even when this process could call them', () => {
    const config = loadConfig(demoEnv);
    const shown = describeProviders(createProviderAdapters(config), config, rows(false));
    expect(shown.line).toBe(
      'openai (disabled in the providers table), anthropic (disabled in the providers table), ' +
        'gemini (disabled in the providers table), perplexity (disabled in the providers table)',
    );
    expect(shown.line).not.toMatch(/simulated/);
    expect(shown.mismatch).toMatch(/npm run sched -- providers set all --enable --rpm 3000$/);
  });

  it('says nothing more when the table and the environment agree', () => {
    const config = loadConfig(demoEnv);
    const shown = describeProviders(createProviderAdapters(config), config, rows(true, 3000));
    expect(shown.line).toBe(
      'openai (simulated, demo), anthropic (simulated, demo), gemini (simulated, demo), perplexity (simulated, demo)',
    );
    expect(shown.mismatch).toBeUndefined();
  });

  it('names the providers the table expects but this process cannot call', () => {
    const config = loadConfig({ DATABASE_URL: 'postgres://x@127.0.0.1/db', OPENAI_API_KEY: 'sk-test' });
    const table = rows(true).map((r) => ({ ...r, enabled: r.name !== 'gemini' }));
    const shown = describeProviders(createProviderAdapters(config), config, table);
    expect(shown.line).toBe(
      'openai (m), anthropic (enabled, but no ANTHROPIC_API_KEY here), gemini (disabled), ' +
        'perplexity (enabled, but no PERPLEXITY_API_KEY here)',
    );
    expect(shown.mismatch).toMatch(/npm run sched -- providers set anthropic,perplexity --disable$/);
  });
});

describe('the demo on an empty PostgreSQL database', () => {
  it('says in one line what to run, without implying a profile', () => {
    const hint = demoHint({ providersReady: false, demoProfile: false, demoRpm: 3000 });
    expect(hint).not.toMatch(/\n/);
    expect(hint).toContain(
      '`npm run sched -- seed --demo` and `npm run sched -- providers set all --enable --rpm 3000`, then `SIMULATED_PROFILE=demo npm start`',
    );
    expect(demoHint({ providersReady: true, demoProfile: true, demoRpm: 3000 })).toContain(
      'run `npm run sched -- seed --demo`, then `npm start`',
    );
  });

  it('gives providers first created under a simulated profile its limits, unless _RPM is set', () => {
    const env = { ...demoEnv, PERPLEXITY_RPM: '70', OPENAI_API_KEY: 'sk-real' };
    const config = withSimulatedLimits(loadConfig(env), env);
    expect(config.providers.anthropic.rpm).toBe(3000);
    expect(config.providers.perplexity.rpm).toBe(70);
    // A real key: the real API's limit.
    expect(config.providers.openai.rpm).toBe(500);
    const real = { DATABASE_URL: demoEnv.DATABASE_URL };
    expect(withSimulatedLimits(loadConfig(real), real).providers.anthropic.rpm).toBe(50);
  });
});
