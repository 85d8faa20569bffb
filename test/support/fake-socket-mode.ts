import { randomUUID } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { type WebSocket, WebSocketServer } from 'ws';

/**
 * Slack's Socket Mode side on 127.0.0.1: the WebSocket that apps.connections.open hands out.
 * On connect it says `hello`; `deliver` sends an envelope (`events_api`, `slash_commands`,
 * `interactive`) with an `envelope_id` and resolves with the payload of the app's ack
 * (`{"envelope_id": ..., "payload": ...}`), as Slack's servers do.
 */

export type EnvelopeType = 'events_api' | 'slash_commands' | 'interactive';

export interface DeliverOptions {
  acceptsResponsePayload?: boolean;
  /** retry_attempt/retry_reason, as on Slack's redelivery of an envelope it thinks was lost. */
  retryAttempt?: number;
  timeoutMs?: number;
}

export class FakeSocketMode {
  /** Every connection the app opened (the last one is live). */
  connections = 0;
  private server: WebSocketServer | undefined;
  private socket: WebSocket | undefined;
  private readonly pending = new Map<string, (payload: Record<string, unknown>) => void>();
  private readonly waiting = new Set<() => void>();
  private boundPort = 0;

  /** Listens on `port` (0: any free port; the same port again after a restart). */
  async start(port = this.boundPort): Promise<void> {
    const server = new WebSocketServer({ host: '127.0.0.1', port });
    await new Promise<void>((resolve, reject) => {
      server.once('listening', resolve);
      server.once('error', reject);
    });
    this.server = server;
    this.boundPort = (server.address() as AddressInfo).port;
    server.on('connection', (socket) => {
      this.socket = socket;
      this.connections += 1;
      socket.on('message', (data) => this.onAck(String(data)));
      socket.on('close', () => {
        if (this.socket === socket) this.socket = undefined;
      });
      socket.send(
        JSON.stringify({
          type: 'hello',
          num_connections: 1,
          debug_info: { host: 'applink-local', approximate_connection_time: 18060 },
          connection_info: { app_id: 'A0SCHEDBOT' },
        }),
      );
      for (const resolve of this.waiting) resolve();
      this.waiting.clear();
    });
  }

  /** A port no one listens on yet: the server can be started there later. */
  async reservePort(): Promise<number> {
    await this.start(0);
    await this.stop();
    return this.boundPort;
  }

  /** The URL apps.connections.open answers with. */
  get url(): string {
    return `ws://127.0.0.1:${this.boundPort}/link/?ticket=${randomUUID()}`;
  }

  /** Resolves once the app holds an open connection (after `hello` was sent). */
  connected(): Promise<void> {
    if (this.socket) return Promise.resolve();
    return new Promise((resolve) => this.waiting.add(resolve));
  }

  /** Drops the app's connection, as Slack does when it recycles a host. */
  drop(): void {
    this.socket?.terminate();
    this.socket = undefined;
  }

  deliver(
    type: EnvelopeType,
    payload: Record<string, unknown>,
    options: DeliverOptions = {},
  ): Promise<Record<string, unknown>> {
    const socket = this.socket;
    if (!socket) return Promise.reject(new Error('the app holds no Socket Mode connection'));
    const envelopeId = randomUUID();
    const timeoutMs = options.timeoutMs ?? 20_000;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(envelopeId);
        reject(new Error(`no ack for the ${type} envelope within ${timeoutMs} ms`));
      }, timeoutMs);
      this.pending.set(envelopeId, (ack) => {
        clearTimeout(timer);
        resolve(ack);
      });
      socket.send(
        JSON.stringify({
          envelope_id: envelopeId,
          type,
          payload,
          accepts_response_payload: options.acceptsResponsePayload ?? type !== 'events_api',
          ...(options.retryAttempt === undefined
            ? { retry_attempt: 0, retry_reason: '' }
            : { retry_attempt: options.retryAttempt, retry_reason: 'timeout' }),
        }),
      );
    });
  }

  async stop(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    if (!server) return;
    for (const client of server.clients) client.terminate();
    this.socket = undefined;
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  private onAck(raw: string): void {
    let message: { envelope_id?: string; payload?: Record<string, unknown> };
    try {
      message = JSON.parse(raw) as typeof message;
    } catch {
      return;
    }
    const resolve = message.envelope_id ? this.pending.get(message.envelope_id) : undefined;
    if (!resolve || !message.envelope_id) return;
    this.pending.delete(message.envelope_id);
    resolve(message.payload ?? {});
  }
}
