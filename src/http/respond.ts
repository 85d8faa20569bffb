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

/** How long a caller should wait before retrying while the database cannot be reached. */
export const DATABASE_RETRY_AFTER_SECONDS = 30;

/**
 * 503 with Retry-After: the database cannot be reached, so the caller (an external scheduler,
 * a load balancer) should retry later; a 500 would mean this server is broken.
 */
export function sendDatabaseUnavailable(
  res: ServerResponse,
  reason: string,
  body: Record<string, unknown> = {},
) {
  sendJson(
    res,
    503,
    {
      error: 'database_unavailable',
      message: `the database cannot be reached (${reason}); retry later`,
      ...body,
      retryAfterSeconds: DATABASE_RETRY_AFTER_SECONDS,
    },
    { 'retry-after': String(DATABASE_RETRY_AFTER_SECONDS) },
  );
}

/** The largest request body any route of this process reads (Slack's own payloads are far smaller). */
export const MAX_BODY_BYTES = 1024 * 1024;

export const bodyTooLarge = {
  error: 'payload_too_large',
  message: `request bodies are limited to ${MAX_BODY_BYTES / 1024 / 1024} MB`,
};

/** true when the request declares a Content-Length over `limitBytes`. */
export function declaresTooLarge(req: IncomingMessage, limitBytes = MAX_BODY_BYTES): boolean {
  const declared = Number(req.headers['content-length']);
  return Number.isFinite(declared) && declared > limitBytes;
}

/**
 * Answers without reading (the rest of) the body: the connection is closed after the answer, so
 * node does not drain what the client still sends, which for a 50 MB body is the whole point.
 */
export function refuse(
  req: IncomingMessage,
  res: ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
) {
  sendJson(res, status, body, req.complete ? headers : { ...headers, connection: 'close' });
}

/**
 * Reads the body as text, or resolves undefined as soon as it passes `limitBytes` (a chunked body
 * has no Content-Length to check first); reading then stops, and the caller refuses with 413.
 */
export function readBody(req: IncomingMessage, limitBytes = MAX_BODY_BYTES): Promise<string | undefined> {
  return new Promise((resolve, reject) => {
    let size = 0;
    const chunks: Buffer[] = [];
    const stop = () => {
      req.off('data', onData);
      req.off('end', onEnd);
      req.off('error', onError);
    };
    const onData = (chunk: Buffer | string) => {
      const buffer = Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk);
      size += buffer.length;
      if (size > limitBytes) {
        stop();
        req.pause();
        resolve(undefined);
        return;
      }
      chunks.push(buffer);
    };
    const onEnd = () => {
      stop();
      resolve(Buffer.concat(chunks).toString('utf8'));
    };
    const onError = (error: Error) => {
      stop();
      reject(error);
    };
    req.on('data', onData);
    req.on('end', onEnd);
    req.on('error', onError);
  });
}
