import type { CommandEntry } from '../command.ts';

/**
 * The one place where `sched` subcommand names meet their handlers, in `--help` order. Each
 * handler file is imported only when its command runs, so `--help` and a mistyped command answer
 * without loading a database driver, Slack or a provider SDK.
 */
export const commands: CommandEntry[] = [
  {
    name: 'serve',
    summary: 'run the bot, the scheduler and the workers (headless: never the local console)',
    usage: 'sched serve',
    load: async () => (await import('./serve.ts')).serveCommand,
  },
  {
    name: 'migrate',
    summary: 'apply the SQL migrations in drizzle/ (also done at every start)',
    usage: 'sched migrate',
    load: async () => (await import('./migrate.ts')).migrateCommand,
  },
  {
    name: 'seed',
    summary: 'load deterministic demo organizations and prompts (safe to run twice)',
    usage: 'sched seed --demo [--orgs N] [--prompts-per-org N]',
    load: async () => (await import('./seed.ts')).seedCommand,
  },
  {
    name: 'postcheck',
    summary:
      'measure and record coverage for a run date (the postcheck JSON with --json); --repair enqueues what is missing ' +
      '(--failed: only units whose try failed; --all: every unit; --provider: one provider)',
    usage:
      'sched postcheck [--date YYYY-MM-DD] [--repair [--failed | --all [--confirm]] [--provider P]] [--json]',
    load: async () => (await import('./postcheck.ts')).postcheckCommand,
  },
  {
    name: 'status',
    summary: 'health, coverage, missing prompts and live progress of a run date, without recording anything',
    usage: 'sched status [--date YYYY-MM-DD] [--json]',
    load: async () => (await import('./status.ts')).statusCommand,
  },
  {
    name: 'audit',
    summary: "check the scheduler's own books (tasks, responses, jobs, runs, reports); exit 1 on a violation",
    usage: 'sched audit [--date YYYY-MM-DD | --days N] [--json] [--fix]',
    load: async () => (await import('./audit.ts')).auditCommand,
  },
  {
    name: 'retention',
    summary:
      'remove the queue rows of nights older than QUEUE_RETENTION_DAYS once their figures are recorded ' +
      '(responses too past RESPONSE_RETENTION_DAYS); --dry-run says what it would remove',
    usage: 'sched retention [--dry-run] [--json]',
    load: async () => (await import('./retention.ts')).retentionCommand,
  },
  {
    name: 'history',
    summary: 'one line per night: health, coverage, repairs and duration',
    usage: 'sched history [--days N] [--json | --chart FILE.png]',
    load: async () => (await import('./history.ts')).historyCommand,
  },
  {
    name: 'providers',
    summary: 'list or set the providers (enabled, model, rpm, concurrency); check that each answers',
    usage: [
      'sched providers check [--json]',
      'sched providers list [--json]',
      'sched providers set <name | a,b | all> [--enable|--disable] [--model M] [--rpm N] [--concurrency N]',
    ],
    load: async () => (await import('./providers.ts')).providersCommand,
  },
  {
    name: 'worker',
    summary:
      'run workers only (start more for more capacity); --drain exits once no live task remains, ' +
      '--skip-paused does not wait for a provider paused for auth or quota',
    usage: 'sched worker [--drain [--skip-paused]]',
    load: async () => (await import('./worker.ts')).workerCommand,
  },
  {
    name: 'trigger',
    summary:
      "enqueue the night's expected work for a run date (once per date; a second call creates nothing)",
    usage: 'sched trigger [--date YYYY-MM-DD] [--json]',
    load: async () => (await import('./trigger.ts')).triggerCommand,
  },
  {
    name: 'ack',
    summary:
      'acknowledge a past night that was owed and never ran, so it is no longer flagged (night_missed)',
    usage: 'sched ack <YYYY-MM-DD>',
    load: async () => (await import('./ack.ts')).ackCommand,
  },
  {
    name: 'reconcile',
    summary: 'requeue tasks whose worker died, close finished jobs (safe any time, from anywhere)',
    usage: 'sched reconcile [--json]',
    load: async () => (await import('./reconcile.ts')).reconcileCommand,
  },
  {
    name: 'rerun',
    summary:
      "rerun one org's missing units for a run date (--failed: only those whose try failed; --all: every unit; " +
      '--provider: one provider); says the scope, the units and the estimated cost',
    usage:
      'sched rerun <org name | slug | id> [--failed | --all [--confirm]] [--provider P] [--date YYYY-MM-DD] [--json]',
    load: async () => (await import('./rerun.ts')).rerunCommand,
  },
  {
    name: 'snooze',
    summary:
      'snooze a provider, an org or both (a maintenance window with --starts): shown apart, not repaired or paged',
    usage: [
      'sched snooze add [--provider P] [--org O] (--for 2h | --until <ISO time> | --until-success) [--starts <ISO time>] [--reason R] [--json]',
      'sched snooze list [--json]',
      'sched snooze end <id>',
    ],
    load: async () => (await import('./snooze.ts')).snoozeCommand,
  },
  {
    name: 'manual-run',
    summary: 'run every expected prompt of every org again for a run date (units already queued are skipped)',
    usage: 'sched manual-run [--date YYYY-MM-DD] [--json]',
    load: async () => (await import('./manual-run.ts')).manualRunCommand,
  },
];
