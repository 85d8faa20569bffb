import { sql } from 'drizzle-orm';
import { runAudit } from '../../src/audit/run-audit.ts';
import { runDateLabel } from '../../src/blocks/format.ts';
import { queryOne, queryRows } from '../../src/db/client.ts';
import { bump, type Model, type SimCommand, tonight } from './model.ts';
import { knownNights, type OracleNight, oracleNight } from './oracle.ts';
import {
  appHome,
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
    const allowed = 1 + (m.requests.get(runDate) ?? 0);
    if (most && most.n > allowed)
      fail(
        'oneReport',
        `unit ${most.prompt_id}/${most.provider} of ${runDate} enqueued ${most.n} times; requests allow ${allowed}`,
      );
  }
  bump(m.checks, 'oneReport');
}

async function checkLeasesAndJobs(m: Model, w: World) {
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
