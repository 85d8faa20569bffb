import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { OracleNight } from './oracle.ts';

/**
 * The outside monitors a deployment reports to, on loopback: the heartbeat (HEARTBEAT_URL, the
 * Healthchecks.io protocol) and PagerDuty's Events API. Each ping or event is recorded with the
 * oracle's verdict on its night taken while the product waits for the answer, so the check after
 * the command compares what the product told the monitor with what the tables said at that moment
 * (later commands may change the night).
 */

export interface MonitorEvent {
  kind: 'heartbeat' | 'pager';
  /** heartbeat: start, success or fail; pager: trigger or resolve. */
  signal: string;
  runDate: string;
  oracle: OracleNight | undefined;
  /** Any snooze on record then: a night short only by snoozed units pings success. */
  snoozed: boolean;
}

/** The oracle of a night and whether any snooze exists, read now. */
export type Judge = (runDate: string) => Promise<{ oracle: OracleNight; snoozed: boolean }>;

export class Monitors {
  readonly events: MonitorEvent[] = [];
  /** Events already checked (invariants.ts reads from here on). */
  checked = 0;
  /** The run date the heartbeat pings are for: the product pings tonight's only. */
  tonight: () => string = () => '';
  private server: Server | undefined;
  private baseUrl = '';

  constructor(private readonly judge: Judge) {}

  async start(): Promise<void> {
    const server = createServer((req, res) => {
      void this.record(req).then(
        () => {
          res.writeHead(req.url?.startsWith('/pagerduty') ? 202 : 200, {
            'content-type': 'application/json',
          });
          res.end('{"status":"success"}');
        },
        () => {
          res.writeHead(500);
          res.end();
        },
      );
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    this.server = server;
    this.baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  }

  get heartbeatUrl(): string {
    return `${this.baseUrl}/heartbeat/sim-check`;
  }

  get pagerDutyUrl(): string {
    return `${this.baseUrl}/pagerduty/v2/enqueue`;
  }

  private async record(req: IncomingMessage): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const path = new URL(req.url ?? '/', this.baseUrl).pathname;
    let event: Omit<MonitorEvent, 'oracle' | 'snoozed'>;
    if (path.startsWith('/pagerduty')) {
      const body = JSON.parse(Buffer.concat(chunks).toString('utf8') || '{}') as {
        event_action?: string;
        dedup_key?: string;
      };
      event = {
        kind: 'pager',
        signal: String(body.event_action),
        runDate: String(body.dedup_key).replace(/^sched-bot-/, ''),
      };
    } else {
      const last = path.split('/').pop();
      const signal = last === 'start' || last === 'fail' ? last : 'success';
      event = { kind: 'heartbeat', signal, runDate: this.tonight() };
    }
    // A start ping comes before anything is measured: nothing to judge it by.
    const verdict = event.signal === 'start' ? undefined : await this.judge(event.runDate);
    this.events.push({ ...event, oracle: verdict?.oracle, snoozed: verdict?.snoozed ?? false });
  }

  async stop(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    if (!server) return;
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}
