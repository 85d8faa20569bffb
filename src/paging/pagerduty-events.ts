import { setTimeout as sleep } from 'node:timers/promises';
import { toError } from '../errors.ts';
import { scrubSecrets } from '../secrets.ts';

/**
 * PagerDuty Events API v2 (POST /v2/enqueue): one event, retried a bounded number of times on
 * what may pass (429, 5xx, network, timeout), never on a refused payload (400). The routing key
 * is a secret: it is in the body only, and scrubbed from every sentence this module returns.
 */

export type PagerDutyAction = 'trigger' | 'resolve';

export interface PagerDutyAlert {
  /** One line, at most 1,024 characters (the API's limit). */
  summary: string;
  /** The affected system: the bot names itself and the run_date. */
  source: string;
  severity: 'critical' | 'error' | 'warning' | 'info';
  timestamp?: string;
  component?: string;
  customDetails?: Record<string, unknown>;
}

export interface PagerDutyEvent {
  action: PagerDutyAction;
  dedupKey: string;
  /** Required for a trigger, not sent with a resolve. */
  alert?: PagerDutyAlert;
}

export interface PagerDutyOptions {
  url: string;
  routingKey: string;
  /** Attempts in all (default 3). */
  attempts?: number;
  /** Wait before the second attempt, doubled after each (default 1 s). */
  retryDelayMs?: number;
  timeoutMs?: number;
}

export type PagerDutyOutcome =
  | { ok: true; dedupKey: string; attempts: number }
  | { ok: false; reason: string; attempts: number };

const SUMMARY_MAX = 1024;

/** The JSON body the Events API v2 expects. */
export function eventBody(routingKey: string, event: PagerDutyEvent): Record<string, unknown> {
  const body: Record<string, unknown> = {
    routing_key: routingKey,
    event_action: event.action,
    dedup_key: event.dedupKey,
  };
  if (event.action === 'trigger' && event.alert) {
    const a = event.alert;
    body.payload = {
      summary: a.summary.length > SUMMARY_MAX ? `${a.summary.slice(0, SUMMARY_MAX - 1)}…` : a.summary,
      source: a.source,
      severity: a.severity,
      ...(a.timestamp ? { timestamp: a.timestamp } : {}),
      ...(a.component ? { component: a.component } : {}),
      ...(a.customDetails ? { custom_details: a.customDetails } : {}),
    };
  }
  return body;
}

const retryable = (status: number) => status === 429 || status >= 500;

export async function sendPagerDutyEvent(
  options: PagerDutyOptions,
  event: PagerDutyEvent,
): Promise<PagerDutyOutcome> {
  const attempts = options.attempts ?? 3;
  const secrets = [options.routingKey];
  let delay = options.retryDelayMs ?? 1_000;
  let reason = 'not sent';
  for (let attempt = 1; attempt <= attempts; attempt++) {
    try {
      const response = await fetch(options.url, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(eventBody(options.routingKey, event)),
        signal: AbortSignal.timeout(options.timeoutMs ?? 10_000),
      });
      const text = await response.text();
      if (response.status === 202) {
        const answer = parseJson(text);
        const dedupKey = typeof answer?.dedup_key === 'string' ? answer.dedup_key : event.dedupKey;
        return { ok: true, dedupKey, attempts: attempt };
      }
      const answer = parseJson(text);
      const detail = [answer?.message, ...(Array.isArray(answer?.errors) ? answer.errors : [])]
        .filter((part) => typeof part === 'string')
        .join(': ');
      reason = scrubSecrets(`PagerDuty answered ${response.status}${detail ? ` (${detail})` : ''}`, secrets);
      if (!retryable(response.status)) return { ok: false, reason, attempts: attempt };
    } catch (error) {
      reason = scrubSecrets(`PagerDuty unreachable: ${toError(error).message}`, secrets);
    }
    if (attempt < attempts) {
      await sleep(delay);
      delay *= 2;
    }
  }
  return { ok: false, reason, attempts };
}

function parseJson(text: string): Record<string, unknown> | undefined {
  try {
    const value: unknown = JSON.parse(text);
    return typeof value === 'object' && value !== null ? (value as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}
