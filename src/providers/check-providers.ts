import { systemClock } from '../context.ts';
import { toProviderError } from './classify-error.ts';
import { type ErrorClass, PROVIDER_NAMES, type ProviderAdapter, type ProviderName } from './types.ts';

/**
 * "Verify all providers are accessible" (the seed's runbook): one tiny request per configured
 * provider, all at once, each with a short deadline. `sched providers check` prints it and the
 * Slack status view shows it when a provider is failing.
 */

export interface ProviderCheck {
  provider: ProviderName;
  /** ok: answered; failed: an error of `errorClass`; disabled: no API key and no simulated profile. */
  status: 'ok' | 'failed' | 'disabled';
  simulated: boolean;
  /** The model the API reported (ok), or the configured one. */
  model?: string;
  latencyMs?: number;
  errorClass?: ErrorClass;
  httpStatus?: number;
  /** The provider's own message (failed), never containing the API key. */
  message?: string;
}

export interface ProvidersCheckResult {
  /** false when any configured provider failed; disabled providers do not count. */
  ok: boolean;
  providers: ProviderCheck[];
}

export const CHECK_PROMPT = 'Reply with the single word: ok';
export const CHECK_TIMEOUT_MS = 15_000;

export async function checkProviders(
  adapters: ReadonlyMap<ProviderName, ProviderAdapter>,
  options: { timeoutMs?: number; prompt?: string; signal?: AbortSignal; clock?: () => Date } = {},
): Promise<ProvidersCheckResult> {
  const clock = options.clock ?? systemClock;
  const providers = await Promise.all(
    PROVIDER_NAMES.map(async (provider): Promise<ProviderCheck> => {
      const adapter = adapters.get(provider);
      if (!adapter) return { provider, status: 'disabled', simulated: false };
      try {
        const answer = await adapter.ask(options.prompt ?? CHECK_PROMPT, {
          timeoutMs: options.timeoutMs ?? CHECK_TIMEOUT_MS,
          signal: options.signal,
        });
        return {
          provider,
          status: 'ok',
          simulated: adapter.simulated,
          model: answer.model,
          latencyMs: answer.latencyMs,
        };
      } catch (error) {
        // Adapters reject with ProviderError only; anything else is still reported, classified.
        const failure = toProviderError(provider, error, { now: clock(), secrets: [] });
        return {
          provider,
          status: 'failed',
          simulated: adapter.simulated,
          model: adapter.model,
          errorClass: failure.errorClass,
          ...(failure.status !== undefined ? { httpStatus: failure.status } : {}),
          message: failure.message,
        };
      }
    }),
  );
  return { ok: providers.every((p) => p.status !== 'failed'), providers };
}
