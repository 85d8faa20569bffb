import type { Deps } from '../context.ts';
import { toError } from '../errors.ts';
import { scrubSecrets } from '../secrets.ts';
import { runDateOf } from '../time/business-day.ts';

/**
 * HEARTBEAT_URL, an outside dead man's switch speaking the Healthchecks.io protocol (Cronitor and
 * Dead Man's Snitch accept it too): `<url>/start` when the trigger starts tonight's run, `<url>`
 * when the postcheck finds the night healthy, `<url>/fail` when it needs attention. Whichever
 * process runs the step pings (serve's tick, the CLI, the HTTP endpoints), so when no instance is
 * alive the missing ping is what raises the alarm. A ping never fails the step and never holds
 * it up for more than HEARTBEAT_TIMEOUT_MS; the URL is a secret (its path is the check's token)
 * and never appears in a log line.
 */

export type HeartbeatSignal = 'start' | 'success' | 'fail';

export const HEARTBEAT_TIMEOUT_MS = 3_000;

/** Pure: the URL of a signal; a query string on the configured URL stays where it belongs. */
export function heartbeatUrl(base: string, signal: HeartbeatSignal): string {
  const url = new URL(base);
  if (signal !== 'success') url.pathname = `${url.pathname.replace(/\/+$/, '')}/${signal}`;
  return url.toString();
}

/**
 * Pings for tonight only: a backfill or a replay of a past run_date must not tell the monitor
 * that tonight's run started or ended.
 */
export async function pingHeartbeat(
  deps: Pick<Deps, 'config' | 'logger' | 'clock'>,
  params: { runDate: string; signal: HeartbeatSignal; timeoutMs?: number | undefined },
): Promise<void> {
  const { runDate, signal, timeoutMs = HEARTBEAT_TIMEOUT_MS } = params;
  const base = deps.config.heartbeatUrl;
  if (!base || runDate !== runDateOf(deps.clock(), deps.config.timezone)) return;
  try {
    // GET: the one method every monitor of this protocol accepts.
    const response = await fetch(heartbeatUrl(base, signal), { signal: AbortSignal.timeout(timeoutMs) });
    // The body is not needed; reading it frees the connection.
    await response.body?.cancel();
    if (!response.ok) {
      deps.logger.warn({ signal, runDate, status: response.status }, 'heartbeat ping refused');
      return;
    }
    deps.logger.debug({ signal, runDate }, 'heartbeat pinged');
  } catch (error) {
    // fetch's messages do not carry the URL today; scrubbing makes sure they never will.
    const reason = scrubSecrets(toError(error).message, [base]);
    deps.logger.warn({ signal, runDate, reason }, 'heartbeat ping failed');
  }
}
