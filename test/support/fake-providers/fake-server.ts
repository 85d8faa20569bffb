import { createServer, type IncomingHttpHeaders, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import type { ProviderName } from '../../../src/providers/types.ts';

/**
 * A loopback HTTP server (127.0.0.1, port 0) that speaks one provider's wire format. A test picks
 * how it answers (`scenario`), or queues answers for the next requests; every request it receives
 * is recorded, so a test can check the path, headers and body the SDK sent, and how many.
 */

export const SCENARIOS = [
  'success',
  'unauthorized',
  'forbidden',
  'rate_limited',
  'rate_limited_ms',
  'rate_limited_date',
  'quota',
  'bad_request',
  'server_error',
  'unavailable',
  'overloaded',
  'hang',
  'hang_body',
  'malformed',
  'reset',
  /** A 200 whose answer has no text. */
  'empty_answer',
  /** A 200 whose answer the provider marked refused, blocked or filtered. */
  'blocked',
] as const;
export type Scenario = (typeof SCENARIOS)[number];

export type WireErrorScenario = Exclude<
  Scenario,
  | 'success'
  | 'hang'
  | 'hang_body'
  | 'malformed'
  | 'reset'
  | 'rate_limited_ms'
  | 'rate_limited_date'
  | 'empty_answer'
  | 'blocked'
>;

export interface RecordedRequest {
  method: string;
  /** Path and query string as received. */
  url: string;
  path: string;
  query: URLSearchParams;
  headers: IncomingHttpHeaders;
  body: unknown;
}

export interface WireReply {
  status: number;
  headers?: Record<string, string>;
  /** An object is sent as JSON; a string as it is (HTML pages, broken JSON). */
  body: unknown;
}

/** How one provider's API looks on the wire. */
export interface ProviderWire {
  provider: ProviderName;
  /** Does this request go where the real API listens? */
  matches(request: RecordedRequest): boolean;
  apiKeyOf(request: RecordedRequest): string | undefined;
  modelOf(request: RecordedRequest): string | undefined;
  promptOf(request: RecordedRequest): string;
  success(request: RecordedRequest, now: Date): WireReply;
  /** A 200 in the success shape whose answer text is empty. */
  emptyAnswer(request: RecordedRequest, now: Date): WireReply;
  /** A 200 the provider marks as refused, blocked or filtered, as its API documents it. */
  blockedAnswer(request: RecordedRequest, now: Date): WireReply;
  /**
   * An error answer in the provider's envelope. The server derives the other 429 variants from
   * `rate_limited`, adding retry-after-ms or a Retry-After HTTP date to its headers.
   */
  error(scenario: WireErrorScenario, now: Date): WireReply;
  notFound(): WireReply;
  /** The answer to a wrong or missing key, when it is not the provider's 401 (Google: 400). */
  wrongKey?(): WireReply;
}

export interface FakeProvider {
  provider: ProviderName;
  /** http://127.0.0.1:PORT */
  origin: string;
  /** What to put in <PROVIDER>_BASE_URL. */
  baseUrl: string;
  apiKey: string;
  requests: RecordedRequest[];
  /** How every request is answered from now on (default success). */
  scenario: Scenario;
  /** Answers for the next requests, in order, before `scenario` applies again. */
  queue: Scenario[];
  /** Successes say the request budget is spent (OpenAI-style x-ratelimit-* headers, reset in 2 s). */
  budgetSpent: boolean;
  close(): Promise<void>;
}

async function readBody(req: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  const text = Buffer.concat(chunks).toString('utf8');
  try {
    return text ? JSON.parse(text) : undefined;
  } catch {
    return text;
  }
}

function send(res: ServerResponse, reply: WireReply) {
  const isText = typeof reply.body === 'string';
  const payload = isText ? (reply.body as string) : JSON.stringify(reply.body);
  res.writeHead(reply.status, {
    'content-type': isText && !payload.trimStart().startsWith('{') ? 'text/html' : 'application/json',
    ...reply.headers,
  });
  res.end(payload);
}

export async function startFakeProvider(
  wire: ProviderWire,
  options: { apiKey: string; baseUrl: (origin: string) => string },
): Promise<FakeProvider> {
  const sockets = new Set<Socket>();
  const fake: FakeProvider = {
    provider: wire.provider,
    origin: '',
    baseUrl: '',
    apiKey: options.apiKey,
    requests: [],
    scenario: 'success',
    queue: [],
    budgetSpent: false,
    close: async () => {},
  };

  const server = createServer(async (req, res) => {
    const body = await readBody(req);
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    const request: RecordedRequest = {
      method: req.method ?? 'GET',
      url: req.url ?? '/',
      path: url.pathname,
      query: url.searchParams,
      headers: req.headers,
      body,
    };
    fake.requests.push(request);
    const now = new Date();
    if (!wire.matches(request)) return send(res, wire.notFound());
    // Like the real APIs: a wrong or missing key is refused whatever the scenario.
    if (wire.apiKeyOf(request) !== fake.apiKey) {
      return send(res, wire.wrongKey?.() ?? wire.error('unauthorized', now));
    }
    const scenario = fake.queue.shift() ?? fake.scenario;
    switch (scenario) {
      case 'success': {
        const reply = wire.success(request, now);
        if (!fake.budgetSpent) return send(res, reply);
        const spent = { 'x-ratelimit-remaining-requests': '0', 'x-ratelimit-reset-requests': '2s' };
        return send(res, { ...reply, headers: { ...reply.headers, ...spent } });
      }
      case 'empty_answer':
        return send(res, wire.emptyAnswer(request, now));
      case 'blocked':
        return send(res, wire.blockedAnswer(request, now));
      case 'hang':
        return; // never answers; close() ends the socket
      case 'hang_body': {
        const reply = wire.success(request, now);
        res.writeHead(200, { 'content-type': 'application/json', ...reply.headers });
        res.write(JSON.stringify(reply.body).slice(0, 20));
        return; // headers and half a body, then silence
      }
      case 'malformed':
        res.writeHead(200, { 'content-type': 'application/json' });
        return res.end('{"id": "resp_1", "choices": [{"message": ');
      case 'reset':
        return req.socket.resetAndDestroy();
      case 'rate_limited_ms':
      case 'rate_limited_date': {
        const reply = wire.error('rate_limited', now);
        const wait: Record<string, string> =
          scenario === 'rate_limited_ms'
            ? { 'retry-after-ms': '1500', 'retry-after': '2' }
            : { 'retry-after': retryAfterDate(now) };
        return send(res, { ...reply, headers: { ...reply.headers, ...wait } });
      }
      default:
        return send(res, wire.error(scenario, now));
    }
  });
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  fake.origin = `http://127.0.0.1:${port}`;
  fake.baseUrl = options.baseUrl(fake.origin);
  fake.close = () =>
    new Promise<void>((resolve) => {
      for (const socket of sockets) socket.destroy();
      server.close(() => resolve());
    });
  return fake;
}

/** Retry-After as an HTTP date two seconds ahead (RFC 9110 IMF-fixdate). */
export const retryAfterDate = (now: Date) => new Date(now.getTime() + 2_000).toUTCString();

/** A bearer token from an Authorization header. */
export function bearerOf(request: RecordedRequest): string | undefined {
  const value = request.headers.authorization;
  return typeof value === 'string' && value.startsWith('Bearer ') ? value.slice('Bearer '.length) : undefined;
}

export const header = (request: RecordedRequest, name: string): string | undefined => {
  const value = request.headers[name];
  return Array.isArray(value) ? value[0] : value;
};
