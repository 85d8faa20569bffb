#!/usr/bin/env node
// CI's rule for writes: each table is written (INSERT, UPDATE, DELETE) from the one module named
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
  scheduler_runs: ['src/scheduler/scheduler-runs.ts'],
  batch_jobs: [QUEUE],
  batch_tasks: [QUEUE],
  prompt_provider_responses: [QUEUE],
  // Retention's record of the nights it pruned: written in the same transaction as the drop.
  pruned_nights: [QUEUE],
  // Maintained by triggers of the migrations only.
  coverage_rollup: [],
  slack_reports: ['src/report/report-poster.ts'],
  late_alerts: ['src/scheduler/late-alerts.ts'],
  night_warnings: ['src/scheduler/night-warnings.ts'],
  night_pages: ['src/scheduler/night-pages.ts'],
  workers: ['src/scheduler/worker-heartbeat.ts'],
  // Its one row is written by the migration that creates it.
  installation: [],
  night_acks: ['src/scheduler/night-acks.ts'],
  // And ended by a success inside the completion statement: that fragment is the queue's.
  snoozes: ['src/scheduler/snoozes.ts', 'src/queue/snooze-holds.ts'],
  slack_request_claims: ['src/db/slack-request-claims.ts'],
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
  `table writers: ${tables.length} tables, each written from its module (the queue's from ${QUEUE})`,
);
