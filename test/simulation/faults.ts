import pg from 'pg';
import type { ProviderName } from '../../src/providers/types.ts';
import { fail } from './invariants.ts';
import { bump, type Model, SimCommand } from './model.ts';
import type { FaultKind } from './sim-providers.ts';
import type { World } from './world.ts';
import { CRON_SECRET } from './world.ts';

/** The outside world failing: providers that refuse for a while, a Slack that answers errors. */

/** Failed calls per unit no night's and repair's attempts together outlast: down for good. */
export const FOR_GOOD = 1000;

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
    const calls = this.calls >= FOR_GOOD ? 'for good' : `${this.calls} calls each`;
    return `ProviderFault(${this.provider}, ${this.kind}, ${this.share}/4 of units, ${calls})`;
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

export const SLACK_HANG_METHODS = ['chat.postMessage', 'chat.update', 'conversations.history'] as const;
export type SlackHangMethod = (typeof SLACK_HANG_METHODS)[number];

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

/**
 * Slack holds the next `times` calls of a method for `ms` before it answers, or never answers
 * them (`forever`): only the Web API client's timeout gets the product past such a call.
 */
export class SlackHangs extends SimCommand {
  readonly name = 'slack hangs';
  constructor(
    readonly method: SlackHangMethod,
    readonly times: number,
    readonly ms: number | 'forever',
  ) {
    super();
  }
  async act(_m: Model, w: World) {
    w.proxy.hang.set(this.method, { left: this.times, ms: this.ms });
  }
  toString() {
    return `SlackHangs(${this.method} x${this.times}, ${this.ms === 'forever' ? 'forever' : `${this.ms} ms`})`;
  }
}

/**
 * PostgreSQL refuses new connections (`allow_connections false`, SQLSTATE 55000) and drops the
 * open ones while the cron endpoint is called: it must answer 503 with Retry-After, not 500.
 * Connections are allowed again before the command ends. PGlite has no such fault: a no-op there.
 */
export class DatabaseRefuses extends SimCommand {
  readonly name = 'database refuses';
  async act(m: Model, w: World) {
    if (!w.databaseUrl) return;
    const url = new URL(w.databaseUrl);
    const name = url.pathname.slice(1);
    url.pathname = '/postgres';
    const admin = new pg.Client({ connectionString: url.toString() });
    await admin.connect();
    let status = 0;
    let retryAfter: string | null = null;
    try {
      await admin.query(`alter database ${name} with allow_connections false`);
      await admin.query('select pg_terminate_backend(pid) from pg_stat_activity where datname = $1', [name]);
      // The pool notices its dropped clients and lets them go: the call then has to connect anew.
      await new Promise((resolve) => setTimeout(resolve, 300));
      const response = await fetch(`${w.baseUrl}/functions/v1/scheduler-postcheck`, {
        method: 'POST',
        headers: { 'x-cron-secret': CRON_SECRET, connection: 'close' },
      });
      await response.text();
      status = response.status;
      retryAfter = response.headers.get('retry-after');
    } finally {
      await admin.query(`alter database ${name} with allow_connections true`);
      await admin.end();
    }
    if (process.env.SIM_TRACE) console.log(`    database refused: the cron endpoint answered ${status}`);
    if (status !== 503 || retryAfter === null)
      fail(
        'unavailable',
        `POST /functions/v1/scheduler-postcheck answered ${status}${retryAfter ? '' : ' without Retry-After'}`,
      );
    bump(m.checks, 'unavailable');
  }
  toString() {
    return 'DatabaseRefuses(while the cron endpoint is called)';
  }
}
