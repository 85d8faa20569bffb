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

/** Slack carries out the next `times` calls of a method but their replies are lost (a timeout). */
export class SlackReplyLost extends SimCommand {
  readonly name = 'slack reply lost';
  constructor(
    readonly method: 'chat.postMessage' | 'chat.update',
    readonly times: number,
  ) {
    super();
  }
  async act(_m: Model, w: World) {
    w.proxy.lose.set(this.method, this.times);
  }
  toString() {
    return `SlackReplyLost(${this.method} x${this.times})`;
  }
}

/** Slack holds the next `times` calls of a method for `ms` before it answers. */
export class SlackHangs extends SimCommand {
  readonly name = 'slack hangs';
  constructor(
    readonly method: 'chat.postMessage' | 'chat.update',
    readonly times: number,
    readonly ms: number,
  ) {
    super();
  }
  async act(_m: Model, w: World) {
    w.proxy.hang.set(this.method, { left: this.times, ms: this.ms });
  }
  toString() {
    return `SlackHangs(${this.method} x${this.times}, ${this.ms} ms)`;
  }
}
