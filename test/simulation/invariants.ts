import { sql } from 'drizzle-orm';
import { DateTime } from 'luxon';
import { runAudit } from '../../src/audit/run-audit.ts';
import { runDateLabel } from '../../src/blocks/format.ts';
import { queryOne, queryRows } from '../../src/db/client.ts';
import { bump, type Model, type SimCommand, tonight } from './model.ts';
import { knownNights, type OracleNight, oracleNight } from './oracle.ts';
import {
  appHome,
  isMarkedCopy,
  metricsHealth,
  reportMessage,
  reportMessages,
  type Stated,
  slashStatus,
  stated,
  statusJson,
} from './surfaces.ts';
import type { World } from './world.ts';

/**
 * The invariants, checked after every command once the world is quiet. Each failure names its
 * invariant; run.ts prints it with the seed, the path and the shrunk commands.
 */

export const INVARIANTS = {
  surfaces: '1 every surface states the oracle health, reasons and figures',
  oneReport: '2 one report message per night, no unit enqueued more than asked',
  leases: '3 no task left live or job left open once workers are done',
  audit: '4 sched audit holds',
  outsiders: '5 a non-admin request changes no table',
  selfConsistent: '6 no message contradicts itself',
  usable: '7 every success is a usable (non-empty) answer',
  unavailable: '8 a database that refuses connections is "unavailable" (503 with Retry-After)',
} as const;
export type InvariantKey = keyof typeof INVARIANTS;

export class InvariantViolation extends Error {
  constructor(
    readonly invariant: InvariantKey,
    detail: string,
  ) {
    super(`invariant ${INVARIANTS[invariant]} violated: ${detail}`);
    this.name = 'InvariantViolation';
  }
}

/**
 * Invariants a run skips (`--skip surfaces,audit:duplicate_success`): to look past a known defect
 * until its fix is merged. `audit:<check>` skips one check of the audit. `run_stuck` is always
 * skipped: it compares a run's start (the virtual clock) with the database's real clock.
 */
export const skipped = new Set<InvariantKey>();
export const skippedAuditChecks = new Set<string>(['run_stuck']);

export function fail(key: InvariantKey, detail: string): void {
  if (!skipped.has(key)) throw new InvariantViolation(key, detail);
}

/**
 * Reason codes as a set. Provider reasons are compared by code (how a surface names the provider
 * is its own affair); a night that never ran or expects nothing is judged by that reason alone.
 */
function reasonsText(reasons: string[] | undefined): string {
  const codes = new Set((reasons ?? []).map((r) => r.split(':')[0]));
  if (codes.has('trigger_not_run') || codes.has('nothing_expected') || codes.has('no_provider_enabled'))
    codes.delete('provider_coverage_below_threshold');
  return [...codes].sort().join(',');
}
const frac = (f: { n: number; d: number } | undefined) => (f ? `${f.n}/${f.d}` : 'none');

/** A fingerprint of every table's content, to prove a refused request wrote nothing. */
async function tablesFingerprint(w: World): Promise<string> {
  const tables = await queryRows<{ name: string }>(
    w.db,
    sql`select quote_ident(c.relname) as name from pg_class c join pg_namespace n on n.oid = c.relnamespace
        where n.nspname = 'public' and c.relkind in ('r', 'p') and not c.relispartition order by 1`,
  );
  const parts: string[] = [];
  for (const { name } of tables) {
    const row = await queryOne<{ h: string | null }>(
      w.db,
      sql.raw(`select md5(coalesce(string_agg(t::text, '|' order by t::text), '')) as h from ${name} t`),
    );
    parts.push(`${name}=${row?.h}`);
  }
  return parts.join(' ');
}

export async function withInvariants(m: Model, w: World, command: SimCommand, act: () => Promise<void>) {
  const before = command.byOutsider(w) ? await tablesFingerprint(w) : undefined;
  await act();
  if (before !== undefined) {
    const after = await tablesFingerprint(w);
    if (after !== before) {
      const changed = after.split(' ').filter((part) => !before.split(' ').includes(part));
      fail('outsiders', `${command} changed ${changed.map((p) => p.split('=')[0]).join(', ')}`);
    }
    bump(m.checks, 'outsiders');
  }
  const t = Date.now();
  const lap = (label: string) => process.env.SIM_TRACE && console.log(`    ${label} ${Date.now() - t} ms`);
  const nights = new Set([...(await knownNights(w.db)), tonight(w)]);
  const oracles = new Map<string, OracleNight>();
  for (const night of nights) oracles.set(night, await oracleNight(w.db, night));
  lap('oracle');
  await checkSurfaces(m, w, oracles);
  lap('surfaces');
  checkMonitors(w);
  await checkHealthz(w);
  await checkThreadLines(w);
  lap('monitors, /healthz, thread lines');
  await checkReportsAndEnqueues(m, w, oracles);
  await checkLeasesAndJobs(m, w);
  lap('reports, leases');
  const audit = await runAudit(w.deps, { runDates: [...nights] });
  lap('audit');
  const violations = audit.violations.filter((v) => !skippedAuditChecks.has(v.check));
  if (violations.length > 0) fail('audit', violations.map((v) => JSON.stringify(v).slice(0, 300)).join('; '));
  bump(m.checks, 'audit');
  const empty = await queryOne<{ n: number }>(
    w.db,
    sql`select count(*)::int as n from prompt_provider_responses
        where status = 'success' and coalesce(btrim(response_text), '') = ''`,
  );
  if ((empty?.n ?? 0) > 0) fail('usable', `${empty?.n} success responses with an empty answer`);
  bump(m.checks, 'usable');
}

function agree(stated: Stated, oracle: OracleNight, options: { figures: boolean }): void {
  const problems: string[] = [];
  // A surface that states no health ("Nothing has run for today yet.") is not held to one.
  if (stated.health !== undefined && stated.health !== oracle.health)
    problems.push(`health ${stated.health} (oracle ${oracle.health})`);
  if (stated.reasons && reasonsText(stated.reasons) !== reasonsText(oracle.reasons))
    problems.push(`reasons [${reasonsText(stated.reasons)}] (oracle [${reasonsText(oracle.reasons)}])`);
  if (options.figures && stated.units && frac(stated.units) !== frac(oracle.units))
    problems.push(`units ${frac(stated.units)} (oracle ${frac(oracle.units)})`);
  if (options.figures && stated.prompts && frac(stated.prompts) !== frac(oracle.prompts))
    problems.push(`prompts ${frac(stated.prompts)} (oracle ${frac(oracle.prompts)})`);
  if (problems.length > 0)
    fail(
      'surfaces',
      `${stated.surface} for ${oracle.runDate}: ${problems.join(', ')}; it says: ${stated.text.slice(0, 400)}`,
    );
}

async function checkSurfaces(m: Model, w: World, oracles: Map<string, OracleNight>) {
  const night = tonight(w);
  const oracle = oracles.get(night);
  if (!oracle) return;
  const timed = async <T>(label: string, read: () => Promise<T>): Promise<T> => {
    const t = Date.now();
    const value = await read();
    if (process.env.SIM_TRACE) console.log(`      ${label} ${Date.now() - t} ms`);
    return value;
  };
  const live: Stated[] = [
    await timed('status json', () => statusJson(w, night)),
    await timed('/sched-status', () => slashStatus(w)),
    await timed('/metrics', () => metricsHealth(w, night)),
    todayOfHome(await timed('App Home', () => appHome(w))),
  ];
  for (const stated of live) {
    agree(stated, oracle, { figures: true });
    selfConsistent(stated);
  }
  for (const [runDate, o] of oracles) {
    const report = await reportMessage(w, runDate);
    if (!report) continue;
    selfConsistent(report);
    // A report is a measurement: it must agree once the night is over and nothing that decides
    // what is expected changed since (closed nights keep the figures they were measured with).
    if (o.live === 0 && !m.changedSinceMeasure.has(runDate)) agree(report, o, { figures: true });
  }
  bump(m.checks, 'surfaces');
  bump(m.checks, 'selfConsistent');
}

/** App Home's "Today" section (up to the history of past nights), where tonight's health is. */
function todayOfHome(home: Stated): Stated {
  const lines = home.text.split('\n');
  const from = lines.findIndex((l) => l.includes('*Today*'));
  const to = lines.findIndex((l, i) => i > from && l.startsWith('History'));
  const today = from < 0 ? '' : lines.slice(from, to < 0 ? undefined : to).join('\n');
  return { ...stated(home.surface, today), text: home.text };
}

/** Invariant 6: the health word, its sentence and its figures say one thing. */
export function selfConsistent(stated: Stated): void {
  const { text, surface } = stated;
  const words = new Set([...text.matchAll(/(Healthy|Needs attention)/g)].map((x) => x[1]));
  if (surface !== 'App Home' && words.size > 1)
    fail('selfConsistent', `${surface} says both Healthy and Needs attention`);
  if (/\b100% \(0\/0\)/.test(text)) fail('selfConsistent', `${surface} says 100 % (0/0)`);
  for (const match of text.matchAll(/(\d+(?:\.\d+)?)% \(([\d,]+)\/([\d,]+)\)/g)) {
    const n = Number(match[2]?.replace(/,/g, ''));
    const d = Number(match[3]?.replace(/,/g, ''));
    const percent = d === 0 ? 100 : Math.round((n / d) * 1000) / 10;
    if (Number(match[1]) !== percent) fail('selfConsistent', `${surface}: "${match[0]}" is not ${percent}%`);
  }
  const sentence = /(Healthy|Needs attention): [^\n]*/.exec(text)?.[0];
  if (sentence?.startsWith('Healthy') && /below \d+%/.test(sentence))
    fail('selfConsistent', `${surface}: "${sentence}"`);
  if (
    sentence?.startsWith('Needs attention') &&
    !/below/.test(text) &&
    !/Why it needs attention/.test(text) &&
    !/no trigger|not run|nothing to run/i.test(text)
  )
    fail(
      'selfConsistent',
      `${surface}: needs attention, yet every figure it gives meets its threshold: "${sentence}"`,
    );
}

async function checkReportsAndEnqueues(m: Model, w: World, oracles: Map<string, OracleNight>) {
  for (const runDate of oracles.keys()) {
    const messages = reportMessages(w, runDateLabel(runDate));
    if (messages.length > 1)
      fail(
        'oneReport',
        `${messages.length} top-level report messages for ${runDate} (ts ${messages.map((x) => x.ts).join(', ')})`,
      );
    const rows = await queryRows<{ ts: string }>(
      w.db,
      sql`select ts from slack_reports where run_date = ${runDate}::date and ts is not null`,
    );
    const first = messages[0];
    // Whatever the night's row points at is its report, never a shared copy (report or not yet).
    const copy = rows.find((r) => isMarkedCopy(w, r.ts));
    if (copy) fail('oneReport', `slack_reports of ${runDate} points at ${copy.ts}, a shared copy`);
    if (rows.length > 0 && first && !rows.some((r) => r.ts === first.ts))
      fail(
        'oneReport',
        `slack_reports of ${runDate} points at ${rows.map((r) => r.ts)}, not the report ${first.ts}`,
      );
    const most = await queryOne<{ n: number; prompt_id: string; provider: string }>(
      w.db,
      sql`select count(*)::int as n, prompt_id, provider from batch_tasks where run_date = ${runDate}::date
          group by prompt_id, provider order by 1 desc limit 1`,
    );
    const asked = m.requests.get(runDate) ?? 0;
    // Each accepted request fans out once at most (a replay, a second click, a refusal: none).
    const fanOuts = await queryOne<{ n: number }>(
      w.db,
      sql`select count(*)::int as n from scheduler_runs
          where function_name in ('repair', 'rerun', 'manual-daily-run') and run_key like ${`${runDate}/%`}`,
    );
    if ((fanOuts?.n ?? 0) > asked)
      fail(
        'oneReport',
        `${fanOuts?.n} repair, rerun or manual fan-outs of ${runDate}; requests asked for ${asked}`,
      );
    const allowed = 1 + asked;
    if (most && most.n > allowed)
      fail(
        'oneReport',
        `unit ${most.prompt_id}/${most.provider} of ${runDate} enqueued ${most.n} times; requests allow ${allowed}`,
      );
  }
  bump(m.checks, 'oneReport');
}

async function checkLeasesAndJobs(m: Model, w: World) {
  // A provider taken out of service takes its live tasks with it, in the same transaction: no
  // worker will ever run them (workers or not, after any command).
  const orphaned = await queryRows<{ provider: string; n: number }>(
    w.db,
    sql`select t.provider, count(*)::int as n from batch_tasks t join providers p on p.name = t.provider
        where t.status in ('pending', 'processing') and not p.enabled group by 1`,
  );
  if (orphaned.length > 0)
    fail(
      'leases',
      `live tasks of a disabled provider: ${orphaned.map((o) => `${o.n} ${o.provider}`).join(', ')}`,
    );
  if (m.drainTimedOut)
    fail('leases', 'a draining worker never finished: tasks are live that no worker takes');
  if (m.workerRan) {
    // After a drain, a live task needs a reason to wait: its provider paused, a backoff, or a
    // lease of the killed worker that has not run out yet.
    const stuck = await queryRows<{ provider: string; status: string; n: number }>(
      w.db,
      sql`select t.provider, t.status, count(*)::int as n from batch_tasks t join providers p on p.name = t.provider
          where t.status in ('pending', 'processing')
            and not (p.enabled and p.paused_until > now())
            and not (t.status = 'pending' and t.available_at > now())
            and not (t.status = 'processing' and t.lease_expires_at > now())
            and not exists (select 1 from snoozes s where s.scope = 'provider' and s.provider = t.provider
                            and not s.until_success and s.ended_at is null
                            and s.starts_at <= now() and (s.ends_at is null or s.ends_at > now()))
          group by 1, 2`,
    );
    if (stuck.length > 0)
      fail(
        'leases',
        `live tasks no worker took: ${stuck.map((s) => `${s.n} ${s.status} ${s.provider}`).join(', ')}`,
      );
  }
  const open = await queryRows<{ id: string; status: string; run_date: string }>(
    w.db,
    sql`select j.id, j.status, to_char(j.run_date, 'YYYY-MM-DD') as run_date from batch_jobs j
        where j.status in ('queued', 'processing')
          and not exists (select 1 from batch_tasks t where t.batch_job_id = j.id and t.status in ('pending', 'processing'))
          and exists (select 1 from batch_tasks t where t.batch_job_id = j.id)`,
  );
  if (m.workerRan && open.length > 0)
    fail(
      'leases',
      `${open.length} jobs still ${open[0]?.status} with every task ended (${open[0]?.run_date})`,
    );
  bump(m.checks, 'leases');
}

/**
 * Invariant 1 on the monitors: every heartbeat ping and PagerDuty event agrees with the oracle's
 * health of its night at the moment it was sent (monitors.ts). A success ping on a night that
 * needs attention is allowed only where snoozes exist (a shortfall all snoozed is a success).
 */
function checkMonitors(w: World) {
  const events = w.monitors.events.slice(w.monitors.checked);
  w.monitors.checked = w.monitors.events.length;
  if (process.env.SIM_TRACE && events.length > 0)
    console.log(
      `    monitors: ${events.map((e) => `${e.kind} ${e.signal} ${e.runDate} (${e.oracle?.health})`).join(', ')}`,
    );
  for (const e of events) {
    const health = e.oracle?.health;
    if (!e.oracle) continue;
    const wrong =
      (e.kind === 'heartbeat' && e.signal === 'fail' && health === 'HEALTHY') ||
      (e.kind === 'heartbeat' && e.signal === 'success' && health !== 'HEALTHY' && !e.snoozed) ||
      (e.kind === 'pager' && e.signal === 'trigger' && health === 'HEALTHY') ||
      (e.kind === 'pager' && e.signal === 'resolve' && health !== 'HEALTHY');
    if (wrong)
      fail(
        'surfaces',
        `${e.kind === 'pager' ? 'PagerDuty' : 'heartbeat'} got "${e.signal}" for ${e.runDate} while the oracle said ${health} [${reasonsText(e.oracle.reasons)}] (units ${frac(e.oracle.units)})`,
      );
  }
}

interface HealthzBody {
  reasons: string[];
  lastNight: {
    runDate: string;
    trigger: { status: string | null };
    postcheck: { status: string | null };
  } | null;
}

/**
 * Invariant 1 on /healthz: its last night is the oracle's (today once the trigger time has passed,
 * else yesterday); a step recorded as completed is never called failed, overdue or late; tonight's
 * postcheck with no run at all, half an hour after its time, is called overdue.
 */
async function checkHealthz(w: World) {
  const response = await fetch(`${w.baseUrl}/healthz`, { headers: { connection: 'close' } });
  const body = (await response.json()) as HealthzBody;
  const zone = w.deps.config.timezone;
  const local = DateTime.fromJSDate(w.at.now, { zone });
  const today = local.toISODate() ?? '';
  const runDate = local.hour >= 3 ? today : (local.minus({ days: 1 }).toISODate() ?? '');
  const text = JSON.stringify(body).slice(0, 400);
  if (body.lastNight?.runDate !== runDate)
    return fail(
      'surfaces',
      `/healthz for ${runDate}: its last night is ${body.lastNight?.runDate}; it says: ${text}`,
    );
  const steps = await queryRows<{ fn: string; completed: boolean }>(
    w.db,
    sql`select function_name as fn, bool_or(status = 'completed') as completed from scheduler_runs
        where function_name in ('daily-batch-trigger', 'scheduler-postcheck')
          and (run_key = ${runDate} or run_key like ${`${runDate}/%`})
        group by 1`,
  );
  const installed = await queryOne<{ at: Date }>(w.db, sql`select installed_at as at from installation`);
  for (const [fn, step] of [
    ['daily-batch-trigger', 'trigger'],
    ['scheduler-postcheck', 'postcheck'],
  ] as const) {
    const row = steps.find((r) => r.fn === fn);
    const blamed = body.reasons.filter((r) => r.startsWith(`${runDate} ${step} `));
    if (row?.completed && blamed.length > 0)
      fail('surfaces', `/healthz: ${runDate} ${step} is recorded as completed, yet: ${blamed.join('; ')}`);
    if (step !== 'postcheck' || row || runDate !== today) continue;
    const due = local.set({ hour: 4, minute: 0, second: 0, millisecond: 0 });
    const owed = installed ? due.toJSDate() >= new Date(installed.at) : true;
    if (owed && local.diff(due, 'minutes').minutes > 30 && !blamed.some((r) => r.includes('overdue')))
      fail('surfaces', `/healthz: ${runDate} postcheck never ran and is half an hour past due, yet: ${text}`);
  }
}

/**
 * Invariant 1 on the report's thread: each "Repair/Rerun ... finished: D of N units answered, F
 * failed for good" line states its run's tasks as the tables have them (a line is posted once
 * none of the run's tasks is live, so they no longer change).
 */
async function checkThreadLines(w: World) {
  for (const message of w.api.messages.values()) {
    const payload = (message.metadata as { event_payload?: Record<string, string> } | undefined)
      ?.event_payload;
    if (!message.threadTs || payload?.kind !== 'run_finished') continue;
    const said = /(\d+) of (\d+) units? answered(?:, (\d+) failed for good)?/.exec(message.text);
    const counts = await queryOne<{ done: number; failed: number; units: number }>(
      w.db,
      sql`select count(*) filter (where t.status = 'completed')::int as done,
                 count(*) filter (where t.status in ('failed', 'cancelled'))::int as failed,
                 count(*)::int as units
          from batch_jobs j join batch_tasks t on t.batch_job_id = j.id and t.run_date = j.run_date
          where j.metadata->>'runId' = ${payload.run_id}`,
    );
    const stated = said ? `${said[1]}/${said[2]}, ${said[3] ?? 0} failed` : '(no figures)';
    const oracle = `${counts?.done}/${counts?.units}, ${counts?.failed} failed`;
    if (stated !== oracle)
      fail(
        'surfaces',
        `thread line of run ${payload.run_id}: ${stated} (oracle ${oracle}); it says: ${message.text}`,
      );
  }
}
