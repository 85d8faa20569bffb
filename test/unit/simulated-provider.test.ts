import { describe, expect, it } from 'vitest';
import { createSimulatedAdapter, SIMULATED_PROFILE_SPECS, uniform } from '../../src/providers/simulated.ts';
import { type ProviderAdapter, ProviderError, type ProviderName } from '../../src/providers/types.ts';

/** No real waiting: the injected sleep records what the adapter would have waited. */
function instant() {
  const slept: number[] = [];
  let now = 1_000_000;
  return {
    slept,
    options: {
      sleep: async (ms: number) => {
        slept.push(ms);
      },
      clock: () => now,
    },
    advance: (ms: number) => {
      now += ms;
    },
  };
}

async function outcome(adapter: ProviderAdapter, prompt: string): Promise<string> {
  try {
    const answer = await adapter.ask(prompt);
    return `ok:${answer.latencyMs}:${answer.tokensOut}`;
  } catch (error) {
    if (!(error instanceof ProviderError)) throw error;
    return `${error.errorClass}:${error.retryAfterMs ?? ''}`;
  }
}

const prompts = Array.from({ length: 400 }, (_, i) => `What are the best tools for team ${i}?`);

async function run(
  name: ProviderName,
  profile: Parameters<typeof createSimulatedAdapter>[1],
  texts = prompts,
) {
  const clock = instant();
  const adapter = createSimulatedAdapter(name, profile, clock.options);
  const results: string[] = [];
  for (const text of texts) {
    results.push(await outcome(adapter, text));
    // Calls paced as a worker would send them: the rate limit is not what these tests look at.
    clock.advance(100);
  }
  return { results, slept: clock.slept };
}

describe('simulated providers', () => {
  it('are deterministic: the same calls give the same latencies, errors and answers', async () => {
    const a = await run('openai', 'flaky');
    const b = await run('openai', 'flaky');
    expect(a).toEqual(b);
    expect(await run('gemini', 'flaky')).not.toEqual(a);
  });

  it('declare themselves simulated, with model "simulated"', async () => {
    const adapter = createSimulatedAdapter('anthropic', 'ideal', instant().options);
    expect(adapter).toMatchObject({ name: 'anthropic', model: 'simulated', simulated: true });
    const answer = await adapter.ask('Compare CRM platforms');
    expect(answer.model).toBe('simulated');
    expect(answer.text).toContain('Compare CRM platforms');
    expect(answer.tokensIn).toBeGreaterThan(0);
  });

  it('ideal: always answers, in 1 to 5 ms', async () => {
    const { results, slept } = await run('openai', 'ideal');
    expect(results.every((r) => r.startsWith('ok:'))).toBe(true);
    expect(Math.min(...slept)).toBeGreaterThanOrEqual(1);
    expect(Math.max(...slept)).toBeLessThanOrEqual(5);
  });

  it('demo: tens to a few hundred ms, and a few stubborn pairs fail three calls then succeed', async () => {
    const { results, slept } = await run('perplexity', 'demo');
    const spec = SIMULATED_PROFILE_SPECS.demo;
    expect(Math.min(...slept)).toBeGreaterThanOrEqual(spec.latency.min);
    expect(Math.max(...slept.filter((_ms, i) => results[i]?.startsWith('ok')))).toBeLessThanOrEqual(
      spec.latency.max,
    );
    const stubborn = prompts.filter(
      (p) => uniform(`sched-bot|perplexity|${p}|stubborn`) < spec.stubborn.share,
    );
    expect(stubborn.length).toBeGreaterThan(0);
    expect(stubborn.length).toBeLessThan(prompts.length / 10);

    const clock = instant();
    const adapter = createSimulatedAdapter('perplexity', 'demo', clock.options);
    const text = stubborn[0] as string;
    const calls = [];
    for (let i = 0; i < 5; i++) calls.push(await outcome(adapter, text));
    expect(calls.slice(0, 3)).toEqual(['server:', 'server:', 'server:']);
    expect(calls.slice(3).every((c) => c.startsWith('ok:'))).toBe(true);
  });

  it('demo, given the unit: a pure function of the unit and attempt, and a repair heals a stubborn unit', async () => {
    const spec = SIMULATED_PROFILE_SPECS.demo;
    const runDate = '2025-06-02';
    const ids = Array.from(
      { length: 400 },
      (_, i) => `00000000-0000-4000-8000-${String(i).padStart(12, '0')}`,
    );
    const stubborn = ids.filter(
      (id) => uniform(`sched-bot|perplexity|${runDate}|${id}|stubborn`) < spec.stubborn.share,
    );
    expect(stubborn.length).toBeGreaterThan(0);
    const ask = async (
      adapter: ProviderAdapter,
      promptId: string,
      source: 'nightly' | 'repair',
      attempt: number,
    ) => {
      try {
        await adapter.ask('same text for every unit', { unit: { runDate, promptId, source, attempt } });
        return 'ok';
      } catch (error) {
        return (error as ProviderError).errorClass;
      }
    };
    const id = stubborn[0] as string;
    // A new adapter per call, as a new process would have: the outcome does not depend on history.
    const fresh = () => createSimulatedAdapter('perplexity', 'demo', instant().options);
    for (const attempt of [1, 2, 3]) expect(await ask(fresh(), id, 'nightly', attempt)).toBe('server');
    expect(await ask(fresh(), id, 'repair', 1)).toBe('ok');
    // The same again on one long-lived adapter.
    const one = fresh();
    for (const attempt of [1, 2, 3]) expect(await ask(one, id, 'nightly', attempt)).toBe('server');
    expect(await ask(one, id, 'repair', 1)).toBe('ok');
    // Another night picks other stubborn units.
    const other = ids.filter(
      (i) => uniform(`sched-bot|perplexity|2025-06-03|${i}|stubborn`) < spec.stubborn.share,
    );
    expect(other).not.toEqual(stubborn);
  });

  it('flaky: many retryable errors and some 429s carrying Retry-After', async () => {
    const { results } = await run('openai', 'flaky');
    const count = (prefix: string) => results.filter((r) => r.startsWith(prefix)).length;
    expect(count('server:')).toBeGreaterThan(prompts.length * 0.05);
    expect(count('timeout:')).toBeGreaterThan(0);
    expect(count('network:')).toBeGreaterThan(0);
    const limited = results.filter((r) => r.startsWith('rate_limited:'));
    expect(limited.length).toBeGreaterThan(0);
    for (const r of limited) expect(Number(r.split(':')[1])).toBeGreaterThanOrEqual(1_000);
    expect(count('ok:')).toBeGreaterThan(prompts.length / 2);
  });

  it('SIMULATED_FAILING: the provider fails about 40 % of its calls with a 500, on any profile', async () => {
    const clock = instant();
    const failing = createSimulatedAdapter('perplexity', 'demo', { ...clock.options, failing: true });
    const results: string[] = [];
    for (const text of prompts) {
      results.push(await outcome(failing, text));
      clock.advance(100);
    }
    const server = results.filter((r) => r.startsWith('server:')).length;
    expect(server).toBeGreaterThan(prompts.length * 0.3);
    expect(server).toBeLessThan(prompts.length * 0.5);
    const calm = await run('perplexity', 'demo');
    expect(calm.results.filter((r) => r.startsWith('server:')).length).toBeLessThan(prompts.length * 0.1);
  });

  it('outage: anthropic answers every call with auth, the others still answer', async () => {
    const down = await run('anthropic', 'outage', prompts.slice(0, 20));
    expect(new Set(down.results)).toEqual(new Set(['auth:']));
    const anthropic = createSimulatedAdapter('anthropic', 'outage', instant().options);
    await expect(anthropic.ask('x')).rejects.toMatchObject({
      errorClass: 'auth',
      message: 'invalid x-api-key',
    });
    const up = await run('openai', 'outage', prompts.slice(0, 20));
    expect(up.results.filter((r) => r.startsWith('ok:')).length).toBeGreaterThan(15);
  });

  it('enforces its rpm per second: a burst past rpm / 60 plus a little is answered 429 with Retry-After', async () => {
    const clock = instant();
    // 600 rpm: 10 calls a second, a burst of 600 / 240 + 2 = 4.5 calls.
    const adapter = createSimulatedAdapter('openai', 'ideal', { ...clock.options, rpm: 600 });
    const burst = [];
    for (let i = 0; i < 6; i++) burst.push(await outcome(adapter, `burst ${i}`));
    expect(burst.filter((r) => r.startsWith('ok:'))).toHaveLength(4);
    // Whole seconds, as a Retry-After header says it.
    expect(burst.slice(4)).toEqual(['rate_limited:1000', 'rate_limited:1000']);
    clock.advance(1_000);
    await expect(adapter.ask('a second later')).resolves.toMatchObject({ model: 'simulated' });
  });

  it('never answers 429 to calls paced at its rpm, even with a quarter second of jitter', async () => {
    const clock = instant();
    const adapter = createSimulatedAdapter('openai', 'ideal', { ...clock.options, rpm: 600 });
    const results = [];
    for (let i = 0; i < 200; i++) {
      // One call every 100 ms on average, some late and the next ones early to catch up.
      clock.advance(i % 5 === 0 ? 350 : 37.5);
      results.push(await outcome(adapter, `paced ${i}`));
    }
    expect(results.filter((r) => !r.startsWith('ok:'))).toEqual([]);
  });

  it('at a low rpm, waits a whole interval between calls', async () => {
    const clock = instant();
    const adapter = createSimulatedAdapter('openai', 'ideal', { ...clock.options, rpm: 3 });
    // 3 rpm: a call every 20 s, a burst of 2 calls.
    expect(await outcome(adapter, 'a')).toMatch(/^ok:/);
    expect(await outcome(adapter, 'b')).toMatch(/^ok:/);
    expect(await outcome(adapter, 'c')).toBe('rate_limited:20000');
    clock.advance(20_000);
    expect(await outcome(adapter, 'd')).toMatch(/^ok:/);
  });

  it('times out a call slower than the timeout it was given', async () => {
    const clock = instant();
    const adapter = createSimulatedAdapter('openai', 'ideal', {
      ...clock.options,
      latencyMs: { min: 500, max: 500 },
    });
    await expect(adapter.ask('slow', { timeoutMs: 100 })).rejects.toMatchObject({ errorClass: 'timeout' });
    expect(clock.slept).toEqual([100]);
  });

  it('stops waiting when the caller aborts (default sleep)', async () => {
    const adapter = createSimulatedAdapter('openai', 'ideal', { latencyMs: { min: 60_000, max: 60_000 } });
    const controller = new AbortController();
    const call = adapter.ask('abandoned', { signal: controller.signal });
    controller.abort();
    await expect(call).rejects.toBeInstanceOf(ProviderError);
  });
});
