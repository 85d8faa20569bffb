import type { ProviderName } from '../../src/providers/types.ts';
import { type Model, SimCommand } from './model.ts';
import type { FaultKind } from './sim-providers.ts';
import type { World } from './world.ts';

/** The outside world failing: providers that refuse for a while, a Slack that answers errors. */

export class ProviderFault extends SimCommand {
  readonly name = 'provider fault';
  constructor(
    readonly provider: ProviderName,
    readonly kind: FaultKind,
    readonly share: number,
    readonly calls: number,
  ) {
    super();
  }
  async act(_m: Model, w: World) {
    w.providers.setFault(this.provider, { kind: this.kind, share: this.share, calls: this.calls });
  }
  toString() {
    return `ProviderFault(${this.provider}, ${this.kind}, ${this.share}/4 of units, ${this.calls} calls each)`;
  }
}

export class ProviderHeals extends SimCommand {
  readonly name = 'provider heals';
  constructor(readonly provider: ProviderName) {
    super();
  }
  async act(_m: Model, w: World) {
    w.providers.setFault(this.provider, undefined);
  }
  toString() {
    return `ProviderHeals(${this.provider})`;
  }
}

export const SLACK_FAULTS = ['ratelimited', 'internal_error', 'fatal_error'] as const;

/** The next `times` calls of a Web API method fail as Slack would. */
export class SlackFault extends SimCommand {
  readonly name = 'slack fault';
  constructor(
    readonly method: 'chat.postMessage' | 'chat.update' | 'views.publish',
    readonly error: (typeof SLACK_FAULTS)[number],
    readonly times: number,
  ) {
    super();
  }
  async act(_m: Model, w: World) {
    w.api.failNext(this.method, {
      error: this.error,
      status: this.error === 'ratelimited' ? 429 : 500,
      retryAfterSec: 0,
      times: this.times,
    });
  }
  toString() {
    return `SlackFault(${this.method} ${this.error} x${this.times})`;
  }
}
