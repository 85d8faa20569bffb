import { DateTime } from 'luxon';
import { isDueToday } from '../scheduler/scheduler-tick.ts';
import { runDateOf } from '../time/business-day.ts';
import { cronMatches, parseCron } from '../time/cron-matcher.ts';
import type { Operation } from './operations.ts';

/** Pure: the console's first screen and its `help`. */

/** Today's trigger run, when there is one. */
export interface TriggerFact {
  startedAt: Date;
  triggeredBy: string;
  status: string;
}

/**
 * What the scheduler will do with tonight's run now that the console starts, in one sentence:
 * before the trigger time, when it starts; past it with no trigger yet, that the start-up
 * catch-up runs it at once; already triggered, when and by whom (`night` then only waits).
 */
export function nightOutlook(input: {
  now: Date;
  zone: string;
  triggerCron: string;
  trigger: TriggerFact | undefined;
}): string {
  const { now, zone } = input;
  const runDate = runDateOf(now, zone);
  const tonight = `tonight's run (${runDate})`;
  const local = (d: Date) => DateTime.fromJSDate(d, { zone }).toFormat('HH:mm ZZZZ');
  if (input.trigger) {
    const t = input.trigger;
    return `${tonight} was started at ${local(t.startedAt)} by ${t.triggeredBy} (${t.status}); \`night\` waits for it and shows the report`;
  }
  const next = nextFire(input.triggerCron, now, zone);
  if (isDueToday(input.triggerCron, runDate, now, zone)) {
    const at = firstFireOn(input.triggerCron, runDate, zone);
    return `${tonight} starts now (catch-up: it is past ${at ? local(at) : 'its cron time'} and it has not run yet)`;
  }
  if (!next) return `${tonight} has no trigger time in TRIGGER_CRON; \`night\` runs it now`;
  return `${tonight} starts at ${local(next)} (in ${untilText(next.getTime() - now.getTime())}); \`night\` runs it now instead`;
}

/** "3 h", "25 min", "1 h 10 min" */
function untilText(ms: number): string {
  const minutes = Math.max(1, Math.ceil(ms / 60_000));
  if (minutes < 60) return `${minutes} min`;
  const h = Math.floor(minutes / 60);
  const m = minutes % 60;
  return m === 0 ? `${h} h` : `${h} h ${m} min`;
}

/** The next minute after now (within two days) when the expression fires. */
function nextFire(expression: string, now: Date, zone: string): Date | undefined {
  const fields = parseCron(expression);
  const start = Math.floor(now.getTime() / 60_000) * 60_000 + 60_000;
  for (let t = start; t < start + 2 * 86_400_000; t += 60_000) {
    if (cronMatches(fields, DateTime.fromMillis(t, { zone }))) return new Date(t);
  }
  return undefined;
}

/** The first instant of run_date when the expression fires. */
function firstFireOn(expression: string, runDate: string, zone: string): Date | undefined {
  const fields = parseCron(expression);
  const start = DateTime.fromISO(runDate, { zone }).startOf('day').toMillis();
  for (let t = start; t < start + 86_400_000; t += 60_000) {
    const local = DateTime.fromMillis(t, { zone });
    if (local.toISODate() !== runDate) break;
    if (cronMatches(fields, local)) return new Date(t);
  }
  return undefined;
}

export interface BannerFacts {
  database: string;
  /** What the first-run seed loaded, or undefined when the data was already there. */
  seeded: { organizations: number; activePrompts: number } | undefined;
  /** The providers table's state; `mismatch`: where this environment disagrees, and the fix. */
  providers: { line: string; mismatch: string | undefined };
  /** An empty PostgreSQL database: what to run for the demo. */
  demoHint: string | undefined;
  workers: number;
  httpUrl: string;
  cronSecretSet: boolean;
  logFile: string;
  reportChannel: string;
  slashCommands: readonly string[];
  /** nightOutlook(): what happens to tonight's run now. */
  night: string;
}

/** What each slash command takes, as Slack's autocomplete hint (manifest.yml) says it. */
const SLASH_ARGUMENTS: Record<string, string> = {
  '/sched-status': '[YYYY-MM-DD | org]',
  '/sched-rerun': '<org> [--failed | --all] [--provider P]',
  '/sched-history': '[days | chart [nights]]',
  '/sched-snooze': '<provider | org> <2h | 06:00 | until-success> [reason]',
};

export function helpText(operations: Record<string, Operation>, slashCommands: readonly string[]): string {
  const width = Math.max(...Object.values(operations).map((o) => o.usage.length), 24);
  return [
    'In Slack you would type:',
    ...slashCommands.map((c) => `  ${c}${SLASH_ARGUMENTS[c] ? ` ${SLASH_ARGUMENTS[c]}` : ''}`),
    '  home                      open the App Home tab',
    'Then use what the bot shows:',
    '  click <n>                 press button [n]',
    '  pick <n> <choice>         choose in menu [n] (a number, or part of a name)',
    '  set <n> <text>            fill text input [n] of a modal',
    '  submit | close            submit or close the open modal',
    '  clear                     clear the screen',
    'Operations (what `sched <command>` does):',
    ...Object.values(operations).map((o) => `  ${o.usage.padEnd(width)}  ${o.summary}`),
    `  ${'logs [n]'.padEnd(width)}  the last n lines of the log`,
    `  ${'help'.padEnd(width)}  this list`,
    `  ${'quit'.padEnd(width)}  stop the bot (Ctrl-C works too)`,
  ].join('\n');
}

export function bannerText(facts: BannerFacts, operations: Record<string, Operation>): string {
  const seeded = facts.seeded
    ? `demo data loaded: ${facts.seeded.organizations} organizations, ${facts.seeded.activePrompts} active prompts`
    : facts.demoHint
      ? 'no organizations'
      : 'existing data kept';
  return [
    '',
    'sched-bot, local console',
    '========================',
    'The nightly AI-provider batch bot, running on this machine with no Slack workspace: you type',
    'what you would type in Slack, and every message the bot posts or edits appears here as text.',
    '',
    `  database   ${facts.database} (${seeded})`,
    ...(facts.demoHint ? [`             ${facts.demoHint}`] : []),
    `  providers  ${facts.providers.line}`,
    ...(facts.providers.mismatch ? [`             ! ${facts.providers.mismatch}`] : []),
    `  workers    one worker in this process, up to ${facts.workers} tasks at a time`,
    `  tonight    ${facts.night}`,
    `  report     morning reports go to #${facts.reportChannel}`,
    `  HTTP       ${facts.httpUrl}/healthz, /metrics, /functions/v1/* ${facts.cronSecretSet ? '(x-cron-secret: $CRON_SECRET)' : '(set CRON_SECRET to enable them)'}`,
    `  logs       ${facts.logFile}`,
    '',
    'Try:  night          a whole night now (20 to 60 seconds), then the morning report',
    `      ${facts.slashCommands[0] ?? '/sched-status'}   where tonight stands, with buttons to press`,
    '      help           everything you can type',
    '',
    helpText(operations, facts.slashCommands),
    '',
  ].join('\n');
}
