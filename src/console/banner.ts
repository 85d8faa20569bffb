import type { Operation } from './operations.ts';

/** Pure: the console's first screen and its `help`. */

export interface BannerFacts {
  database: string;
  /** What the first-run seed loaded, or undefined when the data was already there. */
  seeded: { organizations: number; activePrompts: number } | undefined;
  providers: string;
  workers: number;
  httpUrl: string;
  cronSecretSet: boolean;
  logFile: string;
  reportChannel: string;
  slashCommands: readonly string[];
}

export function helpText(operations: Record<string, Operation>, slashCommands: readonly string[]): string {
  const width = Math.max(...Object.values(operations).map((o) => o.usage.length), 24);
  return [
    'In Slack you would type:',
    ...slashCommands.map((c) => `  ${c}`),
    '  home                      open the App Home tab',
    'Then use what the bot shows:',
    '  click <n>                 press button [n]',
    '  pick <n> <choice>         choose in menu [n] (a number, or part of a name)',
    '  set <n> <text>            fill text input [n] of a modal',
    '  submit | close            submit or close the open modal',
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
    : 'existing data kept';
  return [
    '',
    'sched-bot, local console',
    '========================',
    'The nightly AI-provider batch bot, running on this machine with no Slack workspace: you type',
    'what you would type in Slack, and every message the bot posts or edits appears here as text.',
    '',
    `  database   ${facts.database} (${seeded})`,
    `  providers  ${facts.providers}`,
    `  workers    ${facts.workers} in flight; the scheduler runs the night at its cron time`,
    `  report     morning reports go to #${facts.reportChannel}`,
    `  HTTP       ${facts.httpUrl}/healthz, /metrics, /functions/v1/* ${facts.cronSecretSet ? '(x-cron-secret: $CRON_SECRET)' : '(set CRON_SECRET to enable them)'}`,
    `  logs       ${facts.logFile}`,
    '',
    'Try:  night          a whole night now (about a minute), then the morning report',
    `      ${facts.slashCommands[0] ?? '/sched-status'}   where tonight stands, with buttons to press`,
    '      help           everything you can type',
    '',
    helpText(operations, facts.slashCommands),
    '',
  ].join('\n');
}
