import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { ProvidersCheckResult } from '../../src/providers/check-providers.ts';
import { PROVIDER_NAMES } from '../../src/providers/types.ts';
import { sched } from '../support/cli.ts';
import {
  closeFakeProviders,
  type FakeProviders,
  fakeProviderEnv,
  startFakeProviders,
} from '../support/fake-providers/index.ts';

/**
 * `sched providers check [--json]` against loopback servers that answer like the four APIs:
 * ok with latency and model, the error class and the provider's message when one refuses,
 * disabled providers listed, exit 1 when a configured provider fails.
 */

/** A postgres URL makes the config production-like (no implied simulated profile); nothing connects to it. */
const NO_SIMULATION = { DATABASE_URL: 'postgres://nobody@127.0.0.1:1/unused' };

describe('sched providers check', () => {
  let fakes: FakeProviders;
  let env: Record<string, string>;

  beforeAll(async () => {
    fakes = await startFakeProviders();
    env = { ...NO_SIMULATION, ...fakeProviderEnv(fakes) };
  });
  afterAll(() => closeFakeProviders(fakes));
  afterEach(() => {
    for (const fake of Object.values(fakes)) {
      fake.scenario = 'success';
      fake.requests.length = 0;
    }
  });

  const check = async (extraEnv: Record<string, string | undefined> = {}) => {
    const run = await sched(['providers', 'check', '--json'], { ...env, ...extraEnv });
    return { ...run, result: JSON.parse(run.stdout) as ProvidersCheckResult };
  };

  it('reports every provider ok, with the model the API reported, from one request each', async () => {
    const { code, result, stderr } = await check();
    expect(stderr).toBe('');
    expect(code).toBe(0);
    expect(result.ok).toBe(true);
    expect(result.providers.map((p) => [p.provider, p.status, p.simulated])).toEqual(
      PROVIDER_NAMES.map((name) => [name, 'ok', false]),
    );
    expect(result.providers.find((p) => p.provider === 'openai')).toMatchObject({
      model: 'gpt-4o-mini-2024-07-18',
      latencyMs: expect.any(Number),
    });
    for (const fake of Object.values(fakes)) expect(fake.requests).toHaveLength(1);
  });

  it.each(PROVIDER_NAMES.map((name) => ({ name })))(
    'reports auth with the message when $name answers 401, and exits 1',
    async ({ name }) => {
      fakes[name].scenario = 'unauthorized';
      const { code, result, stdout } = await check();
      expect(code).toBe(1);
      expect(result.ok).toBe(false);
      const failing = result.providers.find((p) => p.provider === name);
      expect(failing).toMatchObject({ status: 'failed', errorClass: 'auth', httpStatus: 401 });
      expect(failing?.message).toMatch(new RegExp(`^${name} 401: .+`));
      const others = result.providers.filter((p) => p.provider !== name);
      expect(others.every((p) => p.status === 'ok')).toBe(true);
      for (const fake of Object.values(fakes)) expect(stdout).not.toContain(fake.apiKey);
    },
  );

  it('lists a provider without a key as disabled and does not fail for it', async () => {
    const { code, result } = await check({ GEMINI_API_KEY: '' });
    expect(code).toBe(0);
    expect(result.providers.find((p) => p.provider === 'gemini')).toEqual({
      provider: 'gemini',
      status: 'disabled',
      simulated: false,
    });
    expect(fakes.gemini.requests).toHaveLength(0);
  });

  it('prints one line per provider without --json', async () => {
    fakes.anthropic.scenario = 'quota';
    const { code, stdout } = await sched(['providers', 'check'], { ...env, PERPLEXITY_API_KEY: '' });
    expect(code).toBe(1);
    const lines = stdout.trim().split('\n');
    expect(lines).toHaveLength(4);
    expect(lines[0]).toMatch(/^openai\s+ok\s+\d+ ms\s+gpt-4o-mini-2024-07-18$/);
    expect(lines[1]).toMatch(/^anthropic\s+quota\s+anthropic 400: Your credit balance is too low/);
    expect(lines[2]).toMatch(/^gemini\s+ok\s+\d+ ms\s+gemini-2.0-flash-001$/);
    expect(lines[3]).toMatch(/^perplexity\s+disabled \(no API key\)$/);
  });

  it('checks the simulated stand-ins when there are no keys but a profile', async () => {
    const { code, result } = await sched(['providers', 'check', '--json'], {
      SIMULATED_PROFILE: 'ideal',
    }).then((run) => ({ ...run, result: JSON.parse(run.stdout) as ProvidersCheckResult }));
    expect(code).toBe(0);
    expect(result.providers.every((p) => p.status === 'ok' && p.simulated && p.model === 'simulated')).toBe(
      true,
    );
  });

  it('rejects a missing or unknown subcommand with usage and exit 2', async () => {
    expect((await sched(['providers'], env)).code).toBe(2);
    const bogus = await sched(['providers', 'ping'], env);
    expect(bogus.code).toBe(2);
    expect(bogus.stderr).toContain('usage: sched providers check [--json]');
  });
});
