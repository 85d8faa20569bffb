import { createServer, type Server } from 'node:http';

/**
 * A loopback PagerDuty Events API v2 (POST /v2/enqueue) that checks each event as PagerDuty
 * documents it: 202 {status: 'success', message: 'Event processed', dedup_key} for a valid one,
 * 400 {status: 'invalid event', message, errors} for a bad one, and the 429 or 5xx a test queues.
 */

export interface ReceivedEvent {
  status: number;
  body: Record<string, unknown>;
  raw: string;
}

export interface FakePagerDuty {
  url: string;
  /** Every request, answered or not, in order. */
  events: ReceivedEvent[];
  /** The accepted events (202). */
  accepted(): Record<string, unknown>[];
  /** The next `times` requests get this status (429 or 5xx) before anything is checked. */
  failNext(status: number, times: number): void;
  close(): Promise<void>;
}

const ACTIONS = ['trigger', 'acknowledge', 'resolve'];
const SEVERITIES = ['critical', 'error', 'warning', 'info'];

/** The errors PagerDuty would list for this event; empty when it is valid. */
export function eventErrors(body: unknown): string[] {
  if (typeof body !== 'object' || body === null) return ['Event object is invalid'];
  const e = body as Record<string, unknown>;
  const errors: string[] = [];
  if (typeof e.routing_key !== 'string' || e.routing_key.length !== 32)
    errors.push("'routing_key' must be a 32 character string");
  if (typeof e.event_action !== 'string' || !ACTIONS.includes(e.event_action))
    errors.push("'event_action' is invalid (must be one of: trigger, acknowledge, resolve)");
  if (e.dedup_key !== undefined && (typeof e.dedup_key !== 'string' || e.dedup_key.length > 255))
    errors.push("'dedup_key' must be a string of at most 255 characters");
  if (e.event_action !== 'trigger' && typeof e.dedup_key !== 'string')
    errors.push("'dedup_key' is required for acknowledge and resolve");
  if (e.event_action === 'trigger') {
    const p = e.payload as Record<string, unknown> | undefined;
    if (typeof p !== 'object' || p === null) errors.push("'payload' is missing or not an object");
    else {
      if (typeof p.summary !== 'string' || p.summary === '' || p.summary.length > 1024)
        errors.push("'payload.summary' is missing or longer than 1024 characters");
      if (typeof p.source !== 'string' || p.source === '') errors.push("'payload.source' is missing");
      if (typeof p.severity !== 'string' || !SEVERITIES.includes(p.severity))
        errors.push("'payload.severity' must be one of critical, error, warning, info");
    }
  }
  return errors;
}

export async function startFakePagerDuty(): Promise<FakePagerDuty> {
  const events: ReceivedEvent[] = [];
  const failures: number[] = [];
  const server: Server = createServer((req, res) => {
    let raw = '';
    req.on('data', (chunk) => {
      raw += chunk;
    });
    req.on('end', () => {
      const answer = (status: number, body: Record<string, unknown>, parsed: Record<string, unknown>) => {
        events.push({ status, body: parsed, raw });
        res.writeHead(status, { 'content-type': 'application/json' });
        res.end(JSON.stringify(body));
      };
      let parsed: Record<string, unknown> = {};
      try {
        parsed = JSON.parse(raw) as Record<string, unknown>;
      } catch {
        answer(
          400,
          { status: 'invalid event', message: 'Event object is invalid', errors: ['Invalid JSON'] },
          {},
        );
        return;
      }
      const failure = failures.shift();
      if (failure === 429) {
        answer(
          429,
          { status: 'throttle event', message: 'Requests for this service are arriving too quickly.' },
          parsed,
        );
        return;
      }
      if (failure !== undefined) {
        answer(failure, { status: 'error', message: 'Internal error' }, parsed);
        return;
      }
      if (req.method !== 'POST' || req.url !== '/v2/enqueue') {
        answer(404, { status: 'not found', message: 'Not found' }, parsed);
        return;
      }
      const errors = eventErrors(parsed);
      if (errors.length > 0) {
        answer(400, { status: 'invalid event', message: 'Event object is invalid', errors }, parsed);
        return;
      }
      const dedupKey = typeof parsed.dedup_key === 'string' ? parsed.dedup_key : 'generated-key';
      answer(202, { status: 'success', message: 'Event processed', dedup_key: dedupKey }, parsed);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  return {
    url: `http://127.0.0.1:${port}/v2/enqueue`,
    events,
    accepted: () => events.filter((e) => e.status === 202).map((e) => e.body),
    failNext(status, times) {
      for (let i = 0; i < times; i++) failures.push(status);
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
