import { sql } from 'drizzle-orm';
import {
  bigint,
  boolean,
  check,
  date,
  foreignKey,
  index,
  integer,
  jsonb,
  pgTable,
  primaryKey,
  text,
  timestamp,
  unique,
  uniqueIndex,
  uuid,
} from 'drizzle-orm/pg-core';
import { isLive } from './live-status.ts';

/** The tables. Every state change on these tables is one statement or a short transaction. */

const tstz = (name: string) => timestamp(name, { withTimezone: true, mode: 'date' });
const runDate = () => date('run_date', { mode: 'string' }).notNull();

export const organizations = pgTable(
  'organizations',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    name: text('name').notNull(),
    slug: text('slug').notNull().unique(),
    plan: text('plan').notNull(),
    subscriptionStatus: text('subscription_status').notNull(),
    active: boolean('active').notNull().default(true),
    createdAt: tstz('created_at').notNull().defaultNow(),
  },
  (t) => [
    // pg_trgm (migration 0004): the org search finds names and slugs by substring and by
    // similarity from these, not by reading every org (src/orgs/find-org.ts).
    index('organizations_name_trgm_idx').using('gin', t.name.op('gin_trgm_ops')),
    index('organizations_slug_trgm_idx').using('gin', t.slug.op('gin_trgm_ops')),
    check('organizations_plan_check', sql`${t.plan} in ('starter', 'growth', 'pro', 'enterprise')`),
    check(
      'organizations_subscription_status_check',
      sql`${t.subscriptionStatus} in ('active', 'trialing', 'past_due', 'canceled')`,
    ),
  ],
);

export const prompts = pgTable(
  'prompts',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    orgId: uuid('org_id')
      .notNull()
      .references(() => organizations.id, { onDelete: 'cascade' }),
    text: text('text').notNull(),
    active: boolean('active').notNull().default(true),
    createdAt: tstz('created_at').notNull().defaultNow(),
  },
  (t) => [index('prompts_org_active_idx').on(t.orgId, t.active)],
);

export const providers = pgTable(
  'providers',
  {
    name: text('name').primaryKey(),
    enabled: boolean('enabled').notNull().default(false),
    model: text('model').notNull(),
    rpm: integer('rpm').notNull(),
    maxConcurrency: integer('max_concurrency').notNull(),
    pausedUntil: tstz('paused_until'),
    pauseReason: text('pause_reason'),
    /**
     * The pacing of calls (rate-limit.ts): the database-clock instant from which the next call
     * may start. Claims move it on by 60 / rpm seconds per call they hand out; null: never called.
     */
    nextCallAt: tstz('next_call_at'),
  },
  (t) => [check('providers_name_check', sql`${t.name} in ('openai', 'anthropic', 'gemini', 'perplexity')`)],
);

export const schedulerRuns = pgTable(
  'scheduler_runs',
  {
    id: bigint('id', { mode: 'number' }).primaryKey().generatedAlwaysAsIdentity(),
    functionName: text('function_name').notNull(),
    runKey: text('run_key').notNull(),
    status: text('status').notNull(),
    startedAt: tstz('started_at').notNull().defaultNow(),
    completedAt: tstz('completed_at'),
    triggeredBy: text('triggered_by').notNull(),
    result: jsonb('result'),
    error: text('error'),
    /** What the night expected when the step ran, per org (src/coverage/expected-fingerprint.ts). */
    expectedUnits: jsonb('expected_units'),
  },
  (t) => [
    unique('scheduler_runs_function_run_key_key').on(t.functionName, t.runKey),
    index('scheduler_runs_started_at_idx').on(t.startedAt),
    check('scheduler_runs_status_check', sql`${t.status} in ('running', 'completed', 'failed', 'skipped')`),
  ],
);

export const batchJobs = pgTable(
  'batch_jobs',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    orgId: uuid('org_id')
      .notNull()
      .references(() => organizations.id, { onDelete: 'cascade' }),
    runDate: runDate(),
    source: text('source').notNull(),
    status: text('status').notNull().default('queued'),
    totalTasks: integer('total_tasks').notNull().default(0),
    completedTasks: integer('completed_tasks').notNull().default(0),
    failedTasks: integer('failed_tasks').notNull().default(0),
    triggeredBy: text('triggered_by').notNull(),
    createdAt: tstz('created_at').notNull().defaultNow(),
    startedAt: tstz('started_at'),
    completedAt: tstz('completed_at'),
    metadata: jsonb('metadata').notNull().default({}),
  },
  (t) => [
    index('batch_jobs_run_date_org_idx').on(t.runDate, t.orgId),
    index('batch_jobs_created_at_idx').on(t.createdAt),
    // The key batch_tasks refers to: a task's job and night together (batch_tasks is partitioned by night).
    unique('batch_jobs_id_run_date_key').on(t.id, t.runDate),
    check('batch_jobs_source_check', sql`${t.source} in ('nightly', 'repair', 'rerun', 'manual')`),
    check(
      'batch_jobs_status_check',
      sql`${t.status} in ('queued', 'processing', 'completed', 'failed', 'cancelled')`,
    ),
  ],
);

/**
 * Partitioned by run_date, one partition per night plus a DEFAULT one (0015_queue_partitions.sql,
 * hand-written: drizzle-kit does not generate PARTITION BY). Ids come from a sequence default
 * (PostgreSQL 15 has no identity column on a partitioned table); every unique key carries run_date.
 */
export const batchTasks = pgTable(
  'batch_tasks',
  {
    id: bigint('id', { mode: 'number' }).notNull().default(sql`nextval('batch_tasks_id_seq')`),
    batchJobId: uuid('batch_job_id').notNull(),
    orgId: uuid('org_id')
      .notNull()
      .references(() => organizations.id, { onDelete: 'cascade' }),
    promptId: uuid('prompt_id')
      .notNull()
      .references(() => prompts.id, { onDelete: 'cascade' }),
    provider: text('provider').notNull(),
    runDate: runDate(),
    status: text('status').notNull().default('pending'),
    attempts: integer('attempts').notNull().default(0),
    maxAttempts: integer('max_attempts').notNull().default(3),
    availableAt: tstz('available_at').notNull().defaultNow(),
    lockedBy: text('locked_by'),
    leaseExpiresAt: tstz('lease_expires_at'),
    lastError: text('last_error'),
    errorClass: text('error_class'),
    /** When each of its failed calls that was retried failed (the night watch's window). */
    retriedAt: tstz('retried_at').array().notNull().default(sql`'{}'`),
    createdAt: tstz('created_at').notNull().defaultNow(),
    startedAt: tstz('started_at'),
    completedAt: tstz('completed_at'),
  },
  (t) => [
    primaryKey({ name: 'batch_tasks_pkey', columns: [t.id, t.runDate] }),
    foreignKey({
      name: 'batch_tasks_batch_job_id_batch_jobs_id_fk',
      columns: [t.batchJobId, t.runDate],
      foreignColumns: [batchJobs.id, batchJobs.runDate],
    }).onDelete('cascade'),
    // At most one live task per unit: double clicks and concurrent repairs cannot duplicate work.
    uniqueIndex('batch_tasks_one_live_per_unit')
      .on(t.runDate, t.promptId, t.provider)
      .where(sql`${isLive()}`),
    // The claim query: pending tasks by provider in (available_at, id) order. id is in the key so
    // a night whose tasks share one available_at is read in order, not sorted whole per claim.
    index('batch_tasks_claim_idx').on(t.provider, t.availableAt, t.id).where(sql`status = 'pending'`),
    // Live leases by provider: the claim counts them (max_concurrency), the reconciler expires them.
    index('batch_tasks_lease_idx').on(t.provider, t.leaseExpiresAt).where(sql`status = 'processing'`),
    index('batch_tasks_job_idx').on(t.batchJobId, t.status),
    // A job's live tasks: closing a job asks whether any is left, without reading its finished ones.
    index('batch_tasks_live_job_idx').on(t.batchJobId).where(sql`${isLive()}`),
    index('batch_tasks_unit_idx').on(t.runDate, t.promptId, t.provider),
    // The night's failed and cancelled units (few): with the live ones, where coverage looks for
    // what is missing before it drills into a whole (org, provider).
    index('batch_tasks_final_failure_idx')
      .on(t.runDate, t.promptId, t.provider)
      .where(sql`status in ('failed', 'cancelled')`),
    check(
      'batch_tasks_status_check',
      sql`${t.status} in ('pending', 'processing', 'completed', 'failed', 'cancelled')`,
    ),
  ],
);

/**
 * Partitioned by run_date as batch_tasks is. Responses outlive the queue's rows (retention), so
 * the task id is a plain column, unique with run_date, not a foreign key.
 */
export const promptProviderResponses = pgTable(
  'prompt_provider_responses',
  {
    id: bigint('id', { mode: 'number' }).notNull().default(sql`nextval('prompt_provider_responses_id_seq')`),
    batchTaskId: bigint('batch_task_id', { mode: 'number' }),
    orgId: uuid('org_id')
      .notNull()
      .references(() => organizations.id, { onDelete: 'cascade' }),
    promptId: uuid('prompt_id')
      .notNull()
      .references(() => prompts.id, { onDelete: 'cascade' }),
    provider: text('provider').notNull(),
    model: text('model').notNull(),
    runDate: runDate(),
    runAt: tstz('run_at').notNull().defaultNow(),
    status: text('status').notNull(),
    responseText: text('response_text'),
    error: text('error'),
    errorClass: text('error_class'),
    latencyMs: integer('latency_ms'),
    tokensIn: integer('tokens_in'),
    tokensOut: integer('tokens_out'),
  },
  (t) => [
    primaryKey({ name: 'prompt_provider_responses_pkey', columns: [t.id, t.runDate] }),
    unique('prompt_provider_responses_batch_task_id_unique').on(t.batchTaskId, t.runDate),
    index('ppr_success_unit_idx').on(t.runDate, t.promptId, t.provider).where(sql`status = 'success'`),
    index('ppr_run_at_idx').on(t.runAt),
    // A night's calls and tokens per provider (coverage/night-cost.ts) as an index-only scan:
    // the tokens ride in the index, so the cost never reads the response texts' heap pages.
    // Partial on a predicate that is always true (model is NOT NULL) and that only the cost
    // query states: with stale statistics the rollup's per-unit count (0006) took this index
    // for its (run_date, provider) prefix and read a provider's whole night per unit, 71 s for
    // a 40,000-unit statement instead of 4 s. No other query can pick it now.
    index('ppr_run_date_cost_idx')
      .on(t.runDate, t.provider, t.tokensIn, t.tokensOut)
      .where(sql`model is not null`),
    check('ppr_status_check', sql`${t.status} in ('success', 'error')`),
  ],
);

/**
 * Succeeded units per (run_date, org, provider), kept by statement triggers on
 * prompt_provider_responses (0004_coverage_rollup): each statement that writes responses appends
 * one row per key it changed, with the change in distinct prompts that have a success (a second
 * success of a unit adds nothing). Appending, never updating, keeps concurrent completions of one
 * org off a shared row; the writers fold a run_date's rows into one per key from time to time.
 * Readers sum. A unit is keyed by the response's org_id, which every writer copies from the prompt.
 */
export const coverageRollup = pgTable(
  'coverage_rollup',
  {
    id: bigint('id', { mode: 'number' }).primaryKey().generatedAlwaysAsIdentity(),
    runDate: runDate(),
    orgId: uuid('org_id').notNull(),
    provider: text('provider').notNull(),
    succeeded: integer('succeeded').notNull(),
  },
  (t) => [index('coverage_rollup_key_idx').on(t.runDate, t.orgId, t.provider)],
);
/**
 * Tasks per (run_date, org, provider, status), kept by statement triggers on batch_tasks
 * (0018_task_counts) as append-only deltas, folded from time to time; readers sum. done_minute is
 * the finish minute of completed and failed tasks (recent minutes only; null once folded away),
 * first_start the earliest started_at of the rows a statement wrote. Read by src/queue/task-counts.ts.
 */
export const taskCounts = pgTable(
  'task_counts',
  {
    id: bigint('id', { mode: 'number' }).primaryKey().generatedAlwaysAsIdentity(),
    runDate: runDate(),
    orgId: uuid('org_id').notNull(),
    provider: text('provider').notNull(),
    status: text('status').notNull(),
    doneMinute: tstz('done_minute'),
    tasks: integer('tasks').notNull(),
    firstStart: tstz('first_start'),
  },
  (t) => [index('task_counts_key_idx').on(t.runDate, t.orgId, t.provider, t.status)],
);
export const slackReports = pgTable(
  'slack_reports',
  {
    runDate: runDate(),
    channel: text('channel').notNull(),
    /** null while the first post is claimed and not yet answered by Slack (0003_report_claims). */
    ts: text('ts'),
    postedAt: tstz('posted_at').notNull().defaultNow(),
    updatedAt: tstz('updated_at').notNull().defaultNow(),
    /** When the post (or re-post) in flight was claimed; a stale claim is taken over. */
    claimedAt: tstz('claimed_at'),
    /** A re-measured night owes this message an edit since then (coalesced, rate-bounded). */
    refreshRequestedAt: tstz('refresh_requested_at'),
    /** The last post or edit: refreshes wait until REFRESH_INTERVAL after it. */
    editedAt: tstz('edited_at'),
  },
  (t) => [primaryKey({ columns: [t.runDate, t.channel] })],
);

/**
 * The watchdog's "late" alerts (src/store/late-alerts.ts): one row per night and late step,
 * inserted before the post (ON CONFLICT DO NOTHING) so however many instances notice, one posts.
 */
export const lateAlerts = pgTable(
  'late_alerts',
  {
    runDate: runDate(),
    /** `trigger`, `postcheck`, or `missed` (a past night that never ran). */
    step: text('step').notNull(),
    claimedAt: tstz('claimed_at').notNull().defaultNow(),
    /** Where the alert went, once Slack answered. */
    channel: text('channel'),
    ts: text('ts'),
  },
  (t) => [
    primaryKey({ columns: [t.runDate, t.step] }),
    check('late_alerts_step_check', sql`${t.step} in ('trigger', 'postcheck', 'missed')`),
  ],
);

/**
 * Warnings raised while a night runs (0012_night_warnings; src/store/night-warnings.ts): a
 * provider failing, a night that does not move, a night that will finish after the postcheck.
 * One row per night, kind and subject (a provider, or '' for the night), claimed before the post.
 */
export const nightWarnings = pgTable(
  'night_warnings',
  {
    runDate: runDate(),
    /** `provider_failing`, `stalled` or `late_finish`. */
    kind: text('kind').notNull(),
    /** The provider of a `provider_failing` warning; '' for the night-wide kinds. */
    subject: text('subject').notNull().default(''),
    claimedAt: tstz('claimed_at').notNull().defaultNow(),
    /** `failing`, or `recovered` once the provider's window is clean again (the message says so). */
    state: text('state').notNull().default('failing'),
    stateChangedAt: tstz('state_changed_at').notNull().defaultNow(),
    /** The latest sentence posted, for the morning report's line about it. */
    sentence: text('sentence'),
    /** Where the warning went, once Slack answered. */
    channel: text('channel'),
    ts: text('ts'),
  },
  (t) => [
    primaryKey({ name: 'night_warnings_pk', columns: [t.runDate, t.kind, t.subject] }),
    check('night_warnings_kind_check', sql`${t.kind} in ('provider_failing', 'stalled', 'late_finish')`),
    check('night_warnings_state_check', sql`${t.state} in ('failing', 'recovered')`),
  ],
);

/**
 * Who was paged for a night (0008_night_pages), one row per run_date, each page claimed by one
 * UPDATE so however many instances measure the night, the on-call is mentioned once and
 * PagerDuty gets one trigger (and one resolve).
 */
export const nightPages = pgTable(
  'night_pages',
  {
    runDate: date('run_date', { mode: 'string' }).primaryKey(),
    /** The on-call mention in the report's thread was claimed (then posted) at. */
    oncallClaimedAt: tstz('oncall_claimed_at'),
    /** ts of the thread reply that mentions the on-call; null while the post is in flight. */
    oncallTs: text('oncall_ts'),
    /** The PagerDuty alert of the night: null (never sent), triggered or resolved. */
    pagerState: text('pager_state'),
    pagerChangedAt: tstz('pager_changed_at'),
  },
  () => [check('night_pages_pager_state_check', sql`pager_state in ('triggered', 'resolved')`)],
);

/**
 * Every change of a provider's settings (`sched providers set`): who, when, before and after.
 * Settings are data shared by every process, so a change must say who made it.
 */
export const providerChanges = pgTable(
  'provider_changes',
  {
    id: bigint('id', { mode: 'number' }).primaryKey().generatedAlwaysAsIdentity(),
    provider: text('provider').notNull(),
    changedBy: text('changed_by').notNull(),
    changedAt: tstz('changed_at').notNull().defaultNow(),
    before: jsonb('before'),
    after: jsonb('after').notNull(),
    /** Live tasks the change cancelled, per run_date (a provider taken out of service). */
    cancelled: jsonb('cancelled').notNull().default(sql`'{}'::jsonb`),
  },
  (t) => [index('provider_changes_provider_idx').on(t.provider, t.changedAt)],
);

/** When this database was first set up (one row): no step is late, no night missed, before it. */
export const installation = pgTable(
  'installation',
  {
    id: boolean('id').primaryKey().default(true),
    installedAt: tstz('installed_at').notNull().defaultNow(),
  },
  (t) => [check('installation_one_row_check', sql`${t.id}`)],
);

/** A night that was owed and never ran, acknowledged by a person (`sched ack`, the alert's button). */
export const nightAcks = pgTable('night_acks', {
  runDate: runDate().primaryKey(),
  ackedBy: text('acked_by').notNull(),
  ackedAt: tstz('acked_at').notNull().defaultNow(),
});

/**
 * Worker processes and the providers each can call (it has the key, or a simulated profile),
 * with a heartbeat on the database clock: status and health say when no live worker can call
 * an enabled provider. A clean stop removes the row; a dead worker's row goes stale.
 */
export const workers = pgTable(
  'workers',
  {
    id: text('id').primaryKey(),
    hostname: text('hostname').notNull(),
    pid: integer('pid').notNull(),
    providers: text('providers').array().notNull(),
    startedAt: tstz('started_at').notNull().defaultNow(),
    heartbeatAt: tstz('heartbeat_at').notNull().defaultNow(),
  },
  (t) => [index('workers_heartbeat_idx').on(t.heartbeatAt)],
);

/**
 * Snoozes and maintenance windows (src/scheduler/snoozes.ts holds all their SQL). A snooze has a
 * scope (a provider, an org, or one provider of one org), a start (later than its creation for a
 * maintenance window) and an end: a time, or the scope's next stored success (until_success).
 * Snoozed units stay in the coverage figures but are reported apart, left out of Repair and of
 * paging; a provider inside a timed window gets no calls. `end` sets ended_at early.
 */
export const snoozes = pgTable(
  'snoozes',
  {
    id: bigint('id', { mode: 'number' }).primaryKey().generatedAlwaysAsIdentity(),
    /** `provider`, `org` or `org_provider`; the columns it names are set, the others null. */
    scope: text('scope').notNull(),
    provider: text('provider'),
    orgId: uuid('org_id').references(() => organizations.id, { onDelete: 'cascade' }),
    startsAt: tstz('starts_at').notNull().defaultNow(),
    /** null only for a snooze that ends at the scope's next success. */
    endsAt: tstz('ends_at'),
    untilSuccess: boolean('until_success').notNull().default(false),
    reason: text('reason'),
    /** A Slack user id, or `cli:<user>`. */
    createdBy: text('created_by').notNull(),
    createdAt: tstz('created_at').notNull().defaultNow(),
    /** Ended before its end: by `sched snooze end` (ended_by = who) or by a success (`success`). */
    endedAt: tstz('ended_at'),
    endedBy: text('ended_by'),
    /** The one "snooze over" line in the report's thread was claimed at (then posted, ts). */
    expiryClaimedAt: tstz('expiry_claimed_at'),
    expiryTs: text('expiry_ts'),
  },
  (t) => [
    // Open snoozes are few and every reader wants only them.
    index('snoozes_open_idx').on(t.startsAt).where(sql`ended_at is null`),
    index('snoozes_expiry_idx').on(t.id).where(sql`expiry_claimed_at is null`),
    check('snoozes_scope_check', sql`${t.scope} in ('provider', 'org', 'org_provider')`),
    check(
      'snoozes_scope_columns_check',
      sql`(${t.scope} = 'provider' and ${t.provider} is not null and ${t.orgId} is null)
          or (${t.scope} = 'org' and ${t.provider} is null and ${t.orgId} is not null)
          or (${t.scope} = 'org_provider' and ${t.provider} is not null and ${t.orgId} is not null)`,
    ),
    check('snoozes_end_check', sql`${t.untilSuccess} or ${t.endsAt} is not null`),
    check('snoozes_window_check', sql`${t.endsAt} is null or ${t.endsAt} > ${t.startsAt}`),
  ],
);

/**
 * Mutating Slack requests already acted on (0011_slack_request_claims), by their identity: a
 * command's trigger_id, a click's action_ts with user and action id, a submission's view id and
 * hash. A replayed copy finds its row and does nothing; rows older than a day are pruned.
 */
export const slackRequestClaims = pgTable(
  'slack_request_claims',
  {
    identity: text('identity').primaryKey(),
    /** `command`, `action` or `view`. */
    kind: text('kind').notNull(),
    userId: text('user_id').notNull(),
    claimedAt: tstz('claimed_at').notNull().defaultNow(),
  },
  (t) => [
    index('slack_request_claims_claimed_at_idx').on(t.claimedAt),
    check('slack_request_claims_kind_check', sql`${t.kind} in ('command', 'action', 'view')`),
  ],
);

/**
 * Nights whose queue rows retention removed (src/queue/prune-night.ts): what history still reads
 * of them once their tasks are gone, and when their responses went too, if they did.
 */
export const prunedNights = pgTable('pruned_nights', {
  runDate: date('run_date', { mode: 'string' }).primaryKey(),
  queuePrunedAt: tstz('queue_pruned_at').notNull(),
  tasks: integer('tasks').notNull(),
  jobs: integer('jobs').notNull(),
  firstCreated: tstz('first_created'),
  lastCompleted: tstz('last_completed'),
  responsesPrunedAt: tstz('responses_pruned_at'),
  responses: integer('responses'),
});
