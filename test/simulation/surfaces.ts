import { sql } from 'drizzle-orm';
import { COMMANDS } from '../../src/blocks/ids.ts';
import { buildAppHomeOpened, buildCommand } from '../../src/console/sign-request.ts';
import { queryRows } from '../../src/db/client.ts';
import { measureCoverage } from '../../src/scheduler/postcheck.ts';
import { messageText } from '../support/slack-payloads.ts';
import { ADMIN, REPORT_CHANNEL, type World } from './world.ts';

/**
 * What each surface says about a night, read as its reader meets it: the report message as last
 * edited in the Web API stand-in, `/sched-status` through its response_url, App Home through
 * views.publish, `sched status --json` (the postcheck's JSON shape), `/metrics`.
 */

export interface Stated {
  surface: string;
  health: 'HEALTHY' | 'NEEDS_ATTENTION' | undefined;
  /** "units 97.5% (39/40)" and the like, when the surface states them. */
  units?: { n: number; d: number } | undefined;
  prompts?: { n: number; d: number } | undefined;
  reasons?: string[];
  text: string;
}

const HEALTH_WORD = /(Healthy|Needs attention)/;

function healthOfText(text: string): Stated['health'] {
  const word = HEALTH_WORD.exec(text)?.[1];
  return word === 'Healthy' ? 'HEALTHY' : word === 'Needs attention' ? 'NEEDS_ATTENTION' : undefined;
}

function figure(text: string, label: string): { n: number; d: number } | undefined {
  const match = new RegExp(`${label} [\\d.]+% \\(([\\d,]+)/([\\d,]+)\\)`, 'i').exec(text);
  if (!match) return undefined;
  return { n: Number(match[1]?.replace(/,/g, '')), d: Number(match[2]?.replace(/,/g, '')) };
}

export function stated(surface: string, text: string): Stated {
  return {
    surface,
    health: healthOfText(text),
    units: figure(text, 'units'),
    prompts: figure(text, 'prompts'),
    text,
  };
}

/** `sched status --json` and the postcheck's JSON: the same measured report. */
export async function statusJson(w: World, runDate: string): Promise<Stated> {
  const report = await measureCoverage(w.deps, { runDate });
  const reasons = report.summary.reasons.map((r) =>
    r.code === ('provider_coverage_below_threshold' as string)
      ? `${r.code}:${(r as unknown as { provider?: string }).provider ?? ''}`
      : r.code,
  );
  return {
    surface: 'sched status --json',
    health: report.summary.overallHealth,
    units: { n: report.units.succeeded, d: report.units.expected },
    prompts: { n: report.promptCoverage.promptsRunToday, d: report.promptCoverage.expectedActivePrompts },
    reasons,
    text: JSON.stringify(report.summary),
  };
}

/** A message whose post carried metadata marking it as a shared copy (never the night's report). */
export function isMarkedCopy(w: World, ts: string): boolean {
  const post = w.api.calls.find((c) => c.method === 'chat.postMessage' && c.response.ts === ts);
  return /copy|share/i.test(JSON.stringify(post?.body.metadata ?? ''));
}

/** Every top-level message in the report channel about this night (the report and any copy). */
export function reportMessages(w: World, label: string) {
  return [...w.api.messages.values()].filter(
    (m) =>
      m.channel === REPORT_CHANNEL &&
      m.text.startsWith('Nightly run') &&
      m.text.includes(label) &&
      !isMarkedCopy(w, m.ts) &&
      !w.api.calls.some(
        (c) => c.method === 'chat.postMessage' && c.response.ts === m.ts && c.body.thread_ts !== undefined,
      ),
  );
}

/** The night's report as `slack_reports` points at it, as last edited. */
export async function reportMessage(w: World, runDate: string): Promise<Stated | undefined> {
  const [row] = await queryRows<{ channel: string; ts: string }>(
    w.db,
    sql`select channel, ts from slack_reports where run_date = ${runDate}::date and ts is not null`,
  );
  if (!row) return undefined;
  const message = w.api.message(row.channel, row.ts);
  if (!message) return { surface: 'report message', health: undefined, text: '(no such message)' };
  return stated('report message', `${message.text}\n${messageText(message.blocks)}`);
}

export async function slashStatus(w: World): Promise<Stated> {
  const id = `status-${w.api.calls.length}`;
  await w.send(buildCommand({ command: COMMANDS.status, userId: ADMIN, responseUrl: w.api.responseUrl(id) }));
  const answer = await w.api.waitFor((c) => c.responseId === id && c.method === 'response_url');
  return stated('/sched-status', messageText(answer.body));
}

export async function appHome(w: World): Promise<Stated> {
  const before = w.api.calls.at(-1)?.seq ?? 0;
  await w.send(buildAppHomeOpened(ADMIN));
  const call = await w.api.waitFor((c) => c.method === 'views.publish' && c.seq > before);
  return stated('App Home', messageText(call.body));
}

export async function metricsHealth(w: World, runDate: string): Promise<Stated> {
  const response = await fetch(`${w.baseUrl}/metrics`, { headers: { connection: 'close' } });
  const text = await response.text();
  const line = text.split('\n').find((l) => l.startsWith(`sched_night_healthy{run_date="${runDate}"}`));
  const value = line?.split(' ').pop();
  return {
    surface: '/metrics',
    health: value === '1' ? 'HEALTHY' : value === '0' ? 'NEEDS_ATTENTION' : undefined,
    text: line ?? '(no sched_night_healthy line)',
  };
}
