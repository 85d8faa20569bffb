#!/usr/bin/env node
// CI's rule for writes, and for reads below: each table is written (INSERT, UPDATE, DELETE) from the one module named
// below, so a reader finds every change to a table in one file. The queue's tables are written from
// one folder instead, src/queue/, as graphile-worker's sql/: a claim, a completion or a fan-out
// writes several of them in a single statement, so that folder holds the queue's operations, one
// file each, and any file under it may write them; no file outside it may. A new table, or a write
// from anywhere else, fails CI until this map says where it belongs (a path ending in / is a folder).
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';

// Every file under it: the queue's operations, one file each.
const QUEUE = 'src/queue/';

const WRITERS = {
  organizations: ['src/db/seed-demo.ts'],
  prompts: ['src/db/seed-demo.ts'],
  // Settings (created once, then `sched providers set`) here; pauses and pacing are queue state.
  providers: ['src/providers/provider-settings.ts', QUEUE],
  provider_changes: ['src/providers/provider-settings.ts'],
  scheduler_runs: ['src/store/scheduler-runs.ts'],
  batch_jobs: [QUEUE],
  batch_tasks: [QUEUE],
  prompt_provider_responses: [QUEUE],
  // Retention's record of the nights it pruned: written in the same transaction as the drop.
  pruned_nights: [QUEUE],
  // Maintained by triggers of the migrations only.
  coverage_rollup: [],
  // Kept by triggers on batch_tasks; retention deletes a pruned night's counts with its tasks.
  task_counts: [QUEUE],
  slack_reports: ['src/store/slack-reports.ts'],
  late_alerts: ['src/store/late-alerts.ts'],
  night_warnings: ['src/store/night-warnings.ts'],
  night_pages: ['src/store/night-pages.ts'],
  workers: ['src/store/workers.ts'],
  // Its one row is written by the migration that creates it; the module reads it.
  installation: ['src/store/installation.ts'],
  night_acks: ['src/store/night-acks.ts'],
  // And ended by a success inside the completion statement: that fragment is the queue's.
  snoozes: ['src/store/snoozes.ts', 'src/queue/snooze-holds.ts'],
  slack_request_claims: ['src/store/slack-request-claims.ts'],
};

// Reads (FROM or JOIN a table): its writers, the audit (which checks every table by design) and
// the one coverage statement may read any table. The files listed below read a table they do not
// own: the reads still to move into the owner's module. The list may only shrink: a new reader
// fails CI until its read goes through the owner (or is added here, in review, with a reason).
const EVERY_TABLE_READERS = ['src/audit/', 'src/coverage/coverage-query.ts'];
// Modules of a table that only read it, beside its writer: a table module too large for one file.
const READERS = {
  // The history of runs (latest report, history rows, repair progress, finished runs).
  scheduler_runs: ['src/store/scheduler-run-history.ts'],
};
const READS_TO_MOVE = {
  organizations: [
    'src/db/seed-policy.ts',
    'src/orgs/find-org.ts',
    'src/queue/cancel-tasks.ts',
    'src/scheduler/progress.ts',
    'src/store/snoozes.ts',
  ],
  // live-units.ts: the prompt text of the few units a live /sched-status lists, as the claim reads it.
  prompts: ['src/queue/cancel-tasks.ts', 'src/queue/claim-tasks.ts', 'src/queue/live-units.ts'],
  providers: [
    'src/scheduler/night-watch-query.ts',
    'src/scheduler/nothing-expected.ts',
    'src/store/workers.ts',
  ],
  scheduler_runs: ['src/queue/prune-night.ts', 'src/scheduler/refresh-night.ts'],
  batch_jobs: [
    'src/scheduler/fresh-answers.ts',
    'src/scheduler/refresh-night.ts',
    'src/scheduler/repair.ts',
    'src/store/scheduler-run-history.ts',
    'src/store/scheduler-runs.ts',
  ],
  batch_tasks: [
    'src/scheduler/night-watch-query.ts',
    'src/scheduler/refresh-night.ts',
    'src/scheduler/repair.ts',
    'src/store/scheduler-run-history.ts',
    'src/store/scheduler-runs.ts',
    'src/store/workers.ts',
  ],
  prompt_provider_responses: ['src/coverage/night-cost.ts'],
  slack_reports: ['src/scheduler/refresh-night.ts'],
  workers: ['src/scheduler/night-watch-query.ts'],
  snoozes: ['src/scheduler/night-watch-query.ts'],
};

const files = [];
const walk = (dir) => {
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) walk(path);
    else if (/\.(ts|js|mjs)$/.test(name)) files.push(path);
  }
};
walk('src');

const schema = readFileSync('src/db/schema.ts', 'utf8');
const tables = [...schema.matchAll(/pgTable\(\s*'([a-z_]+)'/g)].map((m) => m[1]);
const problems = [];
for (const table of tables) {
  if (!(table in WRITERS))
    problems.push(`table ${table} has no writer module in scripts/check-table-writers.mjs`);
}
const write = (table) => new RegExp(`\\b(insert\\s+into|update|delete\\s+from)\\s+${table}\\b`, 'i');
for (const file of files) {
  const text = readFileSync(file, 'utf8');
  for (const table of tables) {
    if (!write(table).test(text)) continue;
    if (
      !(WRITERS[table] ?? []).some((writer) =>
        writer.endsWith('/') ? file.startsWith(writer) : writer === file,
      )
    )
      problems.push(
        `${file} writes ${table}; only ${(WRITERS[table] ?? []).map((w) => (w.endsWith('/') ? `files under ${w}` : w)).join(', ') || 'migrations'} may`,
      );
  }
}
const read = (table) => new RegExp(`\\b(from|join)\\s+${table}\\b`, 'i');
const owns = (list, file) => list.some((w) => (w.endsWith('/') ? file.startsWith(w) : w === file));
let readsToMove = 0;
for (const file of files) {
  const text = readFileSync(file, 'utf8');
  for (const table of tables) {
    if (!read(table).test(text)) continue;
    if (owns([...(WRITERS[table] ?? []), ...(READERS[table] ?? []), ...EVERY_TABLE_READERS], file)) continue;
    if (owns(READS_TO_MOVE[table] ?? [], file)) {
      readsToMove += 1;
      continue;
    }
    problems.push(
      `${file} reads ${table}; read it through ${(WRITERS[table] ?? []).join(', ') || 'its owner'} (READS_TO_MOVE lists the old reads)`,
    );
  }
}
// A listed read that is gone leaves the list, so the list says what is left and a read cannot
// come back unseen under an old entry.
for (const [table, listed] of Object.entries(READS_TO_MOVE))
  for (const file of listed)
    if (!files.includes(file) || !read(table).test(readFileSync(file, 'utf8')))
      problems.push(`READS_TO_MOVE lists ${file} for ${table}, which it no longer reads: remove the entry`);
// Drizzle's builder writes count too.
for (const file of files) {
  const text = readFileSync(file, 'utf8');
  if (/\.(insert|update|delete)\(\s*schema\./.test(text))
    problems.push(`${file} writes through drizzle's builder; put the write in its table's module`);
}
if (problems.length > 0) {
  for (const p of problems) console.error(`table writers: ${p}`);
  process.exit(1);
}
console.log(
  `table writers: ${tables.length} tables, each written from its module (the queue's from ${QUEUE}); reads: no new reader outside a table's module, ${readsToMove} old reads still to move`,
);
