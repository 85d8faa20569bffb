import { createServer, request as httpRequest, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * Between the app and the Web API stand-in: passes every call through, except that it can lose
 * the reply of a call Slack has carried out (the stand-in stores the message, the app sees the
 * connection drop) or hold a call for a while (a Slack that hangs). The failures the stand-in
 * itself answers (429, errors) are its own `failNext`.
 */
export class SlackProxy {
  /** Web API method -> replies still to lose. */
  readonly lose = new Map<string, number>();
  /** Web API method -> calls still to hold, and for how long (`forever`: never answered). */
  readonly hang = new Map<string, { left: number; ms: number | 'forever' }>();
  private server: Server | undefined;
  private baseUrl = '';

  constructor(private readonly target: string) {}

  async start(): Promise<void> {
    const server = createServer((req, res) => {
      const method = (req.url ?? '').replace(/^\/api\//, '').split('?')[0] ?? '';
      const held = this.hang.get(method);
      const delay = held && held.left > 0 ? held.ms : 0;
      if (held && held.left > 0) held.left -= 1;
      // A Slack that never answers: the call never reaches the stand-in, and only the client's
      // own timeout ends it (the connection is dropped when the world stops).
      if (delay === 'forever') return;
      const lost = (this.lose.get(method) ?? 0) > 0;
      if (lost) this.lose.set(method, (this.lose.get(method) ?? 1) - 1);
      setTimeout(() => {
        const upstream = httpRequest(
          new URL(req.url ?? '/', this.target),
          { method: req.method, headers: req.headers },
          (answer: IncomingMessage) => {
            if (lost) {
              answer.resume();
              answer.on('end', () => req.socket.destroy());
              return;
            }
            res.writeHead(answer.statusCode ?? 502, answer.headers);
            answer.pipe(res);
          },
        );
        upstream.on('error', () => req.socket.destroy());
        req.pipe(upstream);
      }, delay);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    this.server = server;
    this.baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  }

  /** The Web API base URL the app should use (ends with a slash). */
  get url(): string {
    return `${this.baseUrl}/api/`;
  }

  async stop(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    if (!server) return;
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}
