import type { IncomingMessage, RequestListener, ServerResponse } from 'node:http';
import { parse as parseQuery } from 'node:querystring';
import { isValidSlackRequest } from '@slack/bolt';
import { toError } from '../errors.ts';
import type { Logger } from '../logger.ts';

/**
 * The door in front of Bolt's HTTPReceiver on the events path. Bolt reads `body.ssl_check`
 * before it looks at what the body is, inside a promise nobody awaits: a correctly signed
 * `payload=null` (or JSON `null`) was an unhandled rejection that ended the whole process. Here
 * the body is read once (Bolt then reuses `req.rawBody`, its own convention for pre-read
 * bodies), parsed the way Bolt will parse it, and anything that is not a request Bolt can route
 * is refused: 400 when it is signed, 401 when it is not. A body of no kind Bolt knows (`{}`, an
 * event_callback without its event) would reach no listener and no ack: Bolt answered it with
 * 404 after its 3 s unhandled-request timeout, and logged that as our error. Nothing this
 * listener does can reject.
 */

/** Slack's replay window: a request signed more than five minutes away from now is refused. */
export const MAX_CLOCK_SKEW_SEC = 5 * 60;
/** Bolt's own default; Slack's payloads are far smaller. */
export const DEFAULT_BODY_LIMIT = 4 * 1024 * 1024;

export interface RequestGuardOptions {
  path: string;
  signingSecret: string;
  logger: Pick<Logger, 'warn' | 'error'>;
  bodyLimit?: number;
  /** Wall-clock seconds; signatures are about real time, as in Bolt's own check. */
  nowSec?: () => number;
}

type BufferedRequest = IncomingMessage & { rawBody?: Buffer };

class BodyTooLarge extends Error {}

async function readBody(req: IncomingMessage, limit: number): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > limit) throw new BodyTooLarge(`body over ${limit} bytes`);
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks);
}

const isPlainObject = (value: unknown): boolean =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/**
 * Pure: whether Bolt can read this body as a request it routes. Mirrors Bolt's
 * parseHTTPRequestBody: a form body is an object, and its `payload` field, when present, must
 * be a JSON object; any other content type is JSON and must be an object. Text that is not JSON
 * at all is left to Bolt, which answers it with 400 after checking the signature.
 */
export function bodyShape(contentType: string | undefined, raw: string): 'ok' | 'not_a_request' {
  const readJson = (text: string): 'ok' | 'not_a_request' => {
    try {
      const body = JSON.parse(text) as unknown;
      return isPlainObject(body) && isRoutable(body as Record<string, unknown>) ? 'ok' : 'not_a_request';
    } catch {
      return 'ok';
    }
  };
  if (contentType === 'application/x-www-form-urlencoded') {
    const fields = parseQuery(raw);
    const payload = fields.payload;
    // A form without a payload is a slash command, Slack's ssl_check, or nothing Bolt routes.
    if (payload === undefined) return isRoutable(fields) ? 'ok' : 'not_a_request';
    return typeof payload === 'string' ? readJson(payload) : 'not_a_request';
  }
  return readJson(raw);
}

/** Interactive payload types Bolt routes by `type` alone (its getTypeAndConversation). */
const ROUTED_TYPES = new Set([
  'block_suggestion',
  'dialog_submission',
  'shortcut',
  'message_action',
  'view_submission',
  'view_closed',
]);

/**
 * Whether Bolt's getTypeAndConversation gives the body a kind (or the receiver answers it
 * itself: ssl_check, url_verification), and it has the parts Bolt reads before any listener.
 */
function isRoutable(body: Record<string, unknown>): boolean {
  if (body.ssl_check !== undefined || body.type === 'url_verification') return true;
  const known =
    body.event !== undefined ||
    body.command !== undefined ||
    body.name !== undefined ||
    body.actions !== undefined ||
    ROUTED_TYPES.has(String(body.type));
  return known && hasItsParts(body);
}

/**
 * The parts Bolt reads of each interactive payload before any listener runs; without them it
 * throws inside its own dispatch (an answer of 500 for what is the sender's mistake).
 */
function hasItsParts(body: Record<string, unknown>): boolean {
  // Bolt looks for the channel with `in`, which throws on anything but an object.
  if (body.event !== undefined && !isPlainObject(body.event)) return false;
  switch (body.type) {
    case 'block_actions':
      return Array.isArray(body.actions) && body.actions.every(isPlainObject);
    case 'block_suggestion':
      return typeof body.action_id === 'string';
    case 'view_submission':
    case 'view_closed':
      return isPlainObject(body.view);
    default:
      return true;
  }
}

function header(req: IncomingMessage, name: string): string | undefined {
  const value = req.headers[name];
  return Array.isArray(value) ? value[0] : value;
}

function answer(res: ServerResponse, status: number): void {
  if (res.headersSent) return;
  res.writeHead(status);
  res.end();
}

export function guardEventsPath(
  boltListener: RequestListener,
  options: RequestGuardOptions,
): RequestListener {
  const limit = options.bodyLimit ?? DEFAULT_BODY_LIMIT;
  const nowSec = options.nowSec ?? (() => Date.now() / 1000);
  const { logger } = options;

  async function guarded(req: BufferedRequest, res: ServerResponse): Promise<void> {
    const stampText = header(req, 'x-slack-request-timestamp');
    const stamp = Number(stampText);
    // Bolt refuses stale timestamps but not future ones; a request dated ahead is as replayable.
    if (Number.isFinite(stamp) && stamp > nowSec() + MAX_CLOCK_SKEW_SEC) {
      logger.warn('Refused a Slack request whose timestamp is more than five minutes in the future');
      req.resume();
      answer(res, 401);
      return;
    }
    let raw: Buffer;
    try {
      raw = await readBody(req, limit);
    } catch (error) {
      if (error instanceof BodyTooLarge) {
        logger.warn(`Refused a Slack request body over ${limit} bytes`);
        answer(res, 413);
      } else {
        answer(res, 400);
      }
      return;
    }
    req.rawBody = raw;
    const text = raw.toString('utf8');
    if (bodyShape(header(req, 'content-type'), text) === 'not_a_request') {
      const signed = isValidSlackRequest({
        signingSecret: options.signingSecret,
        body: text,
        headers: {
          'x-slack-signature': header(req, 'x-slack-signature') ?? '',
          'x-slack-request-timestamp': stamp,
        },
      });
      if (signed) logger.warn('Refused a signed Slack request whose body is no request Slack sends');
      answer(res, signed ? 400 : 401);
      return;
    }
    await boltListener(req, res);
  }

  return (req, res) => {
    const path = (req.url ?? '').split('?')[0];
    // Other paths go to Bolt as they are: it throws synchronously for a path it does not serve,
    // and its server answers that throw with the dispatch error handler (404).
    if (path !== options.path || req.method !== 'POST') {
      boltListener(req, res);
      return;
    }
    guarded(req, res).catch((error: unknown) => {
      logger.error({ err: toError(error), path: req.url }, 'Slack request listener failed');
      answer(res, 500);
    });
  };
}
