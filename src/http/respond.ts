import type { IncomingMessage, ServerResponse } from 'node:http';

/** The one handler shape of this folder: works as a Bolt CustomRoute and in a plain node:http server. */
export type RouteHandler = (req: IncomingMessage, res: ServerResponse) => Promise<void>;

export interface HttpRoute {
  path: string;
  /** Methods the route answers; any other method gets 405 with an Allow header. */
  methods: string[];
  handler: RouteHandler;
}

export function sendJson(
  res: ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
) {
  if (res.headersSent) {
    res.end();
    return;
  }
  const text = JSON.stringify(body, null, 2);
  res.writeHead(status, {
    'content-type': 'application/json; charset=utf-8',
    'cache-control': 'no-store',
    ...headers,
  });
  res.end(`${text}\n`);
}

export function sendText(res: ServerResponse, status: number, contentType: string, body: string) {
  res.writeHead(status, { 'content-type': contentType, 'cache-control': 'no-store' });
  res.end(body);
}

/** The query string of a request as URLSearchParams (Bolt matches custom routes on the path only). */
export const queryOf = (req: IncomingMessage) => new URL(req.url ?? '/', 'http://localhost').searchParams;

/** Reads and discards the body: an unread request body can stall keep-alive connections. */
export async function drainBody(req: IncomingMessage, limitBytes = 64 * 1024): Promise<string> {
  let size = 0;
  const chunks: Buffer[] = [];
  for await (const chunk of req) {
    const buffer = Buffer.isBuffer(chunk) ? chunk : Buffer.from(String(chunk));
    size += buffer.length;
    if (size <= limitBytes) chunks.push(buffer);
  }
  return Buffer.concat(chunks).toString('utf8');
}
