import { sql } from 'drizzle-orm';
import { type Db, queryRows } from '../db/client.ts';
import { isLive } from '../db/live-status.ts';
import { inForce } from '../queue/snooze-holds.ts';
import { LIVE_SECONDS } from '../store/workers.ts';
import { RATE_WINDOW_MINUTES } from './progress.ts';

/**
 * What the night watch reads, one statement per look: for every provider that is enabled or has
 * tasks on the night, its live units, its recent pace, its pause or maintenance hold, whether a
 * snooze covers it, how many live workers can call it, and its recent outcomes (the newest
 * `windowCalls` calls within `windowMinutes`, each dated when it was made). It reads only the
 * night's tasks; the rules that judge them are pure (early-warning-rules.ts).
 */

export interface ProviderOutcomes {
  /** The window's calls: tasks' final calls and failed calls that were retried, plus 429s waiting. */
  calls: number;
  /** Final calls that failed (the task failed for good). */
  finalFailures: number;
  /** Failed calls that were retried, when they failed (a task that succeeded on its second try had one). */
  retries: number;
  /** Live tasks waiting out a 429, a call each: they count only while the provider is paused. */
  rateLimited: number;
  /** The most frequent error among the window's failures. */
  topError: { errorClass: string; message: string } | null;
}

export interface ProviderWatch {
  provider: string;
  enabled: boolean;
  rpm: number;
  /** The later of the provider's pause and a maintenance window in force. */
  heldUntil: Date | null;
  pauseReason: string | null;
  /** A provider-wide snooze is in force: no warning for it. */
  snoozed: boolean;
  liveWorkers: number;
  pending: number;
  live: number;
  /** Final states in the rate window (progress.ts's RATE_WINDOW_MINUTES). */
  finishedInWindow: number;
  firstCreatedAt: Date | null;
  lastFinishedAt: Date | null;
  outcomes: ProviderOutcomes;
}

interface Row {
  provider: string;
  enabled: boolean | null;
  rpm: number | null;
  paused_until: string | Date | null;
  pause_reason: string | null;
  maintenance_until: string | Date | null;
  snoozed: boolean;
  live_workers: number;
  pending: number;
  live: number;
  finished_in_window: number;
  first_created_at: string | Date | null;
  last_finished_at: string | Date | null;
  calls: number;
  final_failures: number;
  retries: number;
  rate_limited: number;
  top_error_class: string | null;
  top_error: string | null;
}

export async function readNightWatch(
  db: Db,
  params: { runDate: string; now: Date; windowMinutes: number; windowCalls: number },
): Promise<ProviderWatch[]> {
  const { runDate, now, windowMinutes, windowCalls } = params;
  const at = sql`${now.toISOString()}::timestamptz`;
  const paceFrom = new Date(now.getTime() - RATE_WINDOW_MINUTES * 60_000).toISOString();
  const outcomesFrom = new Date(now.getTime() - windowMinutes * 60_000).toISOString();
  const rows = await queryRows<Row>(
    db,
    sql`with night as (
          select provider, status, error_class, last_error, retried_at, created_at, completed_at, available_at
          from batch_tasks where run_date = ${runDate}::date
        ),
        names as (select name as provider from providers where enabled
                  union select distinct provider from night)
        select n.provider, p.enabled, p.rpm, p.paused_until, p.pause_reason,
          (select max(s.ends_at) from snoozes s
           where ${inForce(at)} and s.scope = 'provider' and not s.until_success
             and s.provider = n.provider) as maintenance_until,
          exists (select 1 from snoozes s where ${inForce(at)} and s.scope = 'provider'
                  and s.provider = n.provider) as snoozed,
          (select count(*)::int from workers w where n.provider = any (w.providers)
             and w.heartbeat_at > now() - make_interval(secs => ${LIVE_SECONDS})) as live_workers,
          coalesce(c.pending, 0) as pending, coalesce(c.live, 0) as live,
          coalesce(c.finished_in_window, 0) as finished_in_window,
          c.first_created_at, c.last_finished_at,
          coalesce(o.calls, 0) + coalesce(rl.rate_limited, 0) as calls,
          coalesce(o.final_failures, 0) as final_failures,
          coalesce(o.retries, 0) as retries, coalesce(rl.rate_limited, 0) as rate_limited,
          top.error_class as top_error_class, top.last_error as top_error
        from names n
        left join providers p on p.name = n.provider
        left join lateral (
          select count(*) filter (where status = 'pending')::int as pending,
                 count(*) filter (where ${isLive()})::int as live,
                 count(*) filter (where status in ('completed', 'failed')
                                    and completed_at > ${paceFrom}::timestamptz
                                    and completed_at <= ${at})::int as finished_in_window,
                 min(created_at) as first_created_at,
                 max(completed_at) filter (where status in ('completed', 'failed')) as last_finished_at
          from night t where t.provider = n.provider
        ) c on true
        left join lateral (
          -- Calls, not tasks, each at the time it was made: a task's final call when it ended,
          -- and each failed call that was retried when it failed (retried_at), so a unit that
          -- failed during an outage and succeeded after it brings no old failures into the window.
          select count(*)::int as calls,
                 count(*) filter (where kind = 'final_failure')::int as final_failures,
                 count(*) filter (where kind = 'retry')::int as retries
          from (
            select kind from (
              select case when t.status = 'failed' then 'final_failure' else 'success' end as kind,
                     t.completed_at as called_at
              from night t
              where t.provider = n.provider and t.status in ('completed', 'failed')
                and t.completed_at > ${outcomesFrom}::timestamptz and t.completed_at <= ${at}
              union all
              select 'retry', r.called_at
              from night t cross join lateral unnest(t.retried_at) as r(called_at)
              where t.provider = n.provider
                and r.called_at > ${outcomesFrom}::timestamptz and r.called_at <= ${at}
            ) every_call
            order by called_at desc
            limit ${windowCalls}
          ) recent
        ) o on true
        left join lateral (
          -- Tasks waiting out a 429, a refused call each (their attempt was refunded).
          select count(*)::int as rate_limited from night t
          where t.provider = n.provider and ${isLive('t.status')} and t.error_class = 'rate_limited'
        ) rl on true
        left join lateral (
          select t.error_class, t.last_error from night t
          where t.provider = n.provider and t.last_error is not null
            and ((t.status = 'failed' and t.completed_at > ${outcomesFrom}::timestamptz)
                 or ${isLive('t.status')})
            -- A 429 is the cause only while it pauses the provider, as it counts only then.
            and (t.error_class is distinct from 'rate_limited' or coalesce(p.paused_until > ${at}, false))
          group by t.error_class, t.last_error
          order by count(*) desc, t.error_class, t.last_error
          limit 1
        ) top on true
        order by n.provider`,
  );
  return rows.map(toWatch);
}

const instant = (v: string | Date | null) => (v === null ? null : new Date(v));

function toWatch(r: Row): ProviderWatch {
  const paused = instant(r.paused_until);
  const maintenance = instant(r.maintenance_until);
  const heldUntil =
    paused && maintenance
      ? new Date(Math.max(paused.getTime(), maintenance.getTime()))
      : (paused ?? maintenance);
  return {
    provider: r.provider,
    enabled: Boolean(r.enabled),
    rpm: r.rpm ?? 1,
    heldUntil,
    pauseReason: r.pause_reason,
    snoozed: Boolean(r.snoozed),
    liveWorkers: Number(r.live_workers),
    pending: Number(r.pending),
    live: Number(r.live),
    finishedInWindow: Number(r.finished_in_window),
    firstCreatedAt: instant(r.first_created_at),
    lastFinishedAt: instant(r.last_finished_at),
    outcomes: {
      calls: Number(r.calls),
      finalFailures: Number(r.final_failures),
      retries: Number(r.retries),
      rateLimited: Number(r.rate_limited),
      topError:
        r.top_error_class !== null || r.top_error !== null
          ? { errorClass: r.top_error_class ?? 'failed', message: r.top_error ?? '' }
          : null,
    },
  };
}
