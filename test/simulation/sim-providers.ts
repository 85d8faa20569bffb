import { createHash } from 'node:crypto';
import {
  type AskOptions,
  type ErrorClass,
  PROVIDER_NAMES,
  type ProviderAdapter,
  type ProviderAnswer,
  ProviderError,
  type ProviderName,
} from '../../src/providers/types.ts';

/**
 * The simulator's providers: in-process adapters whose every answer is a function of the unit
 * (run_date, prompt, provider), its attempt and the faults in force, never of timing or call
 * order. So two workers racing, or a replay, see the same outcome for each unit.
 */

export const FAULT_KINDS = ['server', 'rate_limited', 'auth', 'timeout', 'empty'] as const;
export type FaultKind = (typeof FAULT_KINDS)[number];

export interface Fault {
  kind: FaultKind;
  /** Units hit: those whose hash of (run_date, prompt) mod 4 is below this (1..4; 4 = all). */
  share: number;
  /**
   * How many calls for a hit unit fail before it answers (a fault "for a while"). Counted per
   * unit, not by the task's attempts: a rate limit gives its attempt back.
   */
  calls: number;
}

/** As each provider's adapter reports it: an empty answer is a failure of its own class. */
const ERROR_OF: Record<FaultKind, { errorClass: ErrorClass; status?: number }> = {
  server: { errorClass: 'server', status: 503 },
  rate_limited: { errorClass: 'rate_limited', status: 429 },
  auth: { errorClass: 'auth', status: 401 },
  timeout: { errorClass: 'timeout' },
  empty: { errorClass: 'empty_answer' },
};

function bucket(key: string): number {
  return createHash('sha256').update(key).digest()[0] ?? 0;
}

export class SimProviders {
  private readonly faults = new Map<ProviderName, Fault>();
  /** Faulted calls each unit has had under the fault in force. */
  private readonly faulted = new Map<string, number>();
  calls = 0;

  setFault(provider: ProviderName, fault: Fault | undefined): void {
    for (const key of [...this.faulted.keys()]) if (key.startsWith(`${provider}/`)) this.faulted.delete(key);
    if (fault) this.faults.set(provider, fault);
    else this.faults.delete(provider);
  }

  adapters(): Map<ProviderName, ProviderAdapter> {
    return new Map(PROVIDER_NAMES.map((name) => [name, this.adapter(name)]));
  }

  private adapter(name: ProviderName): ProviderAdapter {
    return {
      name,
      model: `${name}-sim`,
      simulated: true,
      ask: async (prompt: string, options?: AskOptions): Promise<ProviderAnswer> => {
        this.calls += 1;
        const fault = this.faults.get(name);
        const unit = options?.unit;
        const key = `${unit?.runDate}/${unit?.promptId ?? prompt}`;
        const seen = this.faulted.get(`${name}/${key}`) ?? 0;
        const hit = fault && bucket(key) % 4 < fault.share && seen < fault.calls;
        if (fault && hit) {
          this.faulted.set(`${name}/${key}`, seen + 1);
          const { errorClass, status } = ERROR_OF[fault.kind];
          // A short Retry-After: a rate limit pauses the provider on the database's clock.
          throw new ProviderError(errorClass, `simulated ${fault.kind}`, {
            ...(status === undefined ? {} : { status }),
            ...(fault.kind === 'rate_limited' ? { retryAfterMs: 50 } : {}),
          });
        }
        return answer(`answer to ${key}`, name);
      },
    };
  }
}

const answer = (text: string, name: ProviderName): ProviderAnswer => ({
  text,
  model: `${name}-sim`,
  tokensIn: 10,
  tokensOut: text.length,
  latencyMs: 1,
});
