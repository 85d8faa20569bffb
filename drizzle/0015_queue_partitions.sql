-- batch_tasks and prompt_provider_responses partitioned by run_date, one partition per night
-- (named <table>_pYYYYMMDD), so a night's rows can be dropped whole (retention) and statements
-- that name a night read one partition. A DEFAULT partition catches a night whose partition was
-- not made ahead; queue_ensure_partition moves its rows out when it makes the real one.
--
-- The rows are copied into new tables: a table cannot become partitioned in place. The whole
-- migration is one transaction holding both tables locked (ACCESS EXCLUSIVE) until it commits.
-- PostgreSQL 15 has no identity column on a partitioned table: ids come from sequence defaults
-- that keep the old sequences' values. Unique keys carry run_date. Responses outlive queue rows,
-- so their task id is a plain column (unique with run_date), no longer a foreign key.
ALTER TABLE "prompt_provider_responses" DROP CONSTRAINT "prompt_provider_responses_batch_task_id_batch_tasks_id_fk";
--> statement-breakpoint
CREATE TABLE "batch_tasks_partitioned" (
	"id" bigint NOT NULL,
	"batch_job_id" uuid NOT NULL,
	"org_id" uuid NOT NULL,
	"prompt_id" uuid NOT NULL,
	"provider" text NOT NULL,
	"run_date" date NOT NULL,
	"status" text DEFAULT 'pending' NOT NULL,
	"attempts" integer DEFAULT 0 NOT NULL,
	"max_attempts" integer DEFAULT 3 NOT NULL,
	"available_at" timestamp with time zone DEFAULT now() NOT NULL,
	"locked_by" text,
	"lease_expires_at" timestamp with time zone,
	"last_error" text,
	"error_class" text,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"started_at" timestamp with time zone,
	"completed_at" timestamp with time zone,
	CONSTRAINT "batch_tasks_status_check" CHECK (status in ('pending', 'processing', 'completed', 'failed', 'cancelled'))
) PARTITION BY RANGE ("run_date");
--> statement-breakpoint
CREATE TABLE "prompt_provider_responses_partitioned" (
	"id" bigint NOT NULL,
	"batch_task_id" bigint,
	"org_id" uuid NOT NULL,
	"prompt_id" uuid NOT NULL,
	"provider" text NOT NULL,
	"model" text NOT NULL,
	"run_date" date NOT NULL,
	"run_at" timestamp with time zone DEFAULT now() NOT NULL,
	"status" text NOT NULL,
	"response_text" text,
	"error" text,
	"error_class" text,
	"latency_ms" integer,
	"tokens_in" integer,
	"tokens_out" integer,
	CONSTRAINT "ppr_status_check" CHECK (status in ('success', 'error'))
) PARTITION BY RANGE ("run_date");
--> statement-breakpoint
CREATE TABLE "batch_tasks_default" PARTITION OF "batch_tasks_partitioned" DEFAULT;
--> statement-breakpoint
CREATE TABLE "prompt_provider_responses_default" PARTITION OF "prompt_provider_responses_partitioned" DEFAULT;
--> statement-breakpoint
-- One partition per night already in either table, made before the copy so no row lands in DEFAULT.
DO $$
DECLARE
  night date;
BEGIN
  FOR night IN SELECT run_date FROM batch_tasks UNION SELECT run_date FROM prompt_provider_responses LOOP
    EXECUTE format('CREATE TABLE %I PARTITION OF batch_tasks_partitioned FOR VALUES FROM (%L) TO (%L)',
                   'batch_tasks_p' || to_char(night, 'YYYYMMDD'), night, night + 1);
    EXECUTE format('CREATE TABLE %I PARTITION OF prompt_provider_responses_partitioned FOR VALUES FROM (%L) TO (%L)',
                   'prompt_provider_responses_p' || to_char(night, 'YYYYMMDD'), night, night + 1);
  END LOOP;
END $$;
--> statement-breakpoint
INSERT INTO "batch_tasks_partitioned" SELECT * FROM "batch_tasks";
--> statement-breakpoint
INSERT INTO "prompt_provider_responses_partitioned" SELECT * FROM "prompt_provider_responses";
--> statement-breakpoint
-- Dropping the old tables drops their identity sequences, their indexes and the rollup's triggers
-- (coverage_rollup itself is untouched: the copy above ran before the new triggers exist).
CREATE TABLE "queue_id_marks" AS
  SELECT (SELECT last_value FROM batch_tasks_id_seq) AS tasks,
         (SELECT last_value FROM prompt_provider_responses_id_seq) AS responses;
--> statement-breakpoint
DROP TABLE "prompt_provider_responses";
--> statement-breakpoint
DROP TABLE "batch_tasks";
--> statement-breakpoint
ALTER TABLE "batch_tasks_partitioned" RENAME TO "batch_tasks";
--> statement-breakpoint
ALTER TABLE "prompt_provider_responses_partitioned" RENAME TO "prompt_provider_responses";
--> statement-breakpoint
CREATE SEQUENCE "batch_tasks_id_seq" AS bigint OWNED BY "batch_tasks"."id";
--> statement-breakpoint
CREATE SEQUENCE "prompt_provider_responses_id_seq" AS bigint OWNED BY "prompt_provider_responses"."id";
--> statement-breakpoint
SELECT setval('batch_tasks_id_seq', greatest(tasks, (SELECT coalesce(max(id), 0) FROM batch_tasks), 1)),
       setval('prompt_provider_responses_id_seq',
              greatest(responses, (SELECT coalesce(max(id), 0) FROM prompt_provider_responses), 1))
FROM queue_id_marks;
--> statement-breakpoint
DROP TABLE "queue_id_marks";
--> statement-breakpoint
ALTER TABLE "batch_tasks" ALTER COLUMN "id" SET DEFAULT nextval('batch_tasks_id_seq');
--> statement-breakpoint
ALTER TABLE "prompt_provider_responses" ALTER COLUMN "id" SET DEFAULT nextval('prompt_provider_responses_id_seq');
--> statement-breakpoint
ALTER TABLE "batch_tasks" ADD CONSTRAINT "batch_tasks_pkey" PRIMARY KEY ("id", "run_date");
--> statement-breakpoint
ALTER TABLE "prompt_provider_responses" ADD CONSTRAINT "prompt_provider_responses_pkey" PRIMARY KEY ("id", "run_date");
--> statement-breakpoint
ALTER TABLE "prompt_provider_responses" ADD CONSTRAINT "prompt_provider_responses_batch_task_id_unique" UNIQUE ("batch_task_id", "run_date");
--> statement-breakpoint
-- The job key with its night: deleting a night's jobs (retention) then looks for their tasks in
-- that night's partition only, not in every night's.
ALTER TABLE "batch_jobs" ADD CONSTRAINT "batch_jobs_id_run_date_key" UNIQUE ("id", "run_date");
--> statement-breakpoint
ALTER TABLE "batch_tasks" ADD CONSTRAINT "batch_tasks_batch_job_id_batch_jobs_id_fk" FOREIGN KEY ("batch_job_id", "run_date") REFERENCES "public"."batch_jobs"("id", "run_date") ON DELETE cascade ON UPDATE no action;
--> statement-breakpoint
ALTER TABLE "batch_tasks" ADD CONSTRAINT "batch_tasks_org_id_organizations_id_fk" FOREIGN KEY ("org_id") REFERENCES "public"."organizations"("id") ON DELETE cascade ON UPDATE no action;
--> statement-breakpoint
ALTER TABLE "batch_tasks" ADD CONSTRAINT "batch_tasks_prompt_id_prompts_id_fk" FOREIGN KEY ("prompt_id") REFERENCES "public"."prompts"("id") ON DELETE cascade ON UPDATE no action;
--> statement-breakpoint
ALTER TABLE "prompt_provider_responses" ADD CONSTRAINT "prompt_provider_responses_org_id_organizations_id_fk" FOREIGN KEY ("org_id") REFERENCES "public"."organizations"("id") ON DELETE cascade ON UPDATE no action;
--> statement-breakpoint
ALTER TABLE "prompt_provider_responses" ADD CONSTRAINT "prompt_provider_responses_prompt_id_prompts_id_fk" FOREIGN KEY ("prompt_id") REFERENCES "public"."prompts"("id") ON DELETE cascade ON UPDATE no action;
--> statement-breakpoint
CREATE UNIQUE INDEX "batch_tasks_one_live_per_unit" ON "batch_tasks" USING btree ("run_date","prompt_id","provider") WHERE status in ('pending', 'processing');
--> statement-breakpoint
CREATE INDEX "batch_tasks_claim_idx" ON "batch_tasks" USING btree ("provider","available_at","id") WHERE status = 'pending';
--> statement-breakpoint
CREATE INDEX "batch_tasks_lease_idx" ON "batch_tasks" USING btree ("provider","lease_expires_at") WHERE status = 'processing';
--> statement-breakpoint
CREATE INDEX "batch_tasks_job_idx" ON "batch_tasks" USING btree ("batch_job_id","status");
--> statement-breakpoint
CREATE INDEX "batch_tasks_live_job_idx" ON "batch_tasks" USING btree ("batch_job_id") WHERE status in ('pending', 'processing');
--> statement-breakpoint
CREATE INDEX "batch_tasks_unit_idx" ON "batch_tasks" USING btree ("run_date","prompt_id","provider");
--> statement-breakpoint
CREATE INDEX "batch_tasks_final_failure_idx" ON "batch_tasks" USING btree ("run_date","prompt_id","provider") WHERE status in ('failed', 'cancelled');
--> statement-breakpoint
CREATE INDEX "ppr_success_unit_idx" ON "prompt_provider_responses" USING btree ("run_date","prompt_id","provider") WHERE status = 'success';
--> statement-breakpoint
CREATE INDEX "ppr_run_at_idx" ON "prompt_provider_responses" USING btree ("run_at");
--> statement-breakpoint
CREATE INDEX "ppr_run_date_cost_idx" ON "prompt_provider_responses" USING btree ("run_date","provider","tokens_in","tokens_out") WHERE model is not null;
--> statement-breakpoint
CREATE TRIGGER coverage_rollup_insert AFTER INSERT ON prompt_provider_responses
  REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION coverage_rollup_track();
--> statement-breakpoint
CREATE TRIGGER coverage_rollup_update AFTER UPDATE ON prompt_provider_responses
  REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION coverage_rollup_track();
--> statement-breakpoint
CREATE TRIGGER coverage_rollup_delete AFTER DELETE ON prompt_provider_responses
  REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION coverage_rollup_track();
--> statement-breakpoint
CREATE TRIGGER coverage_rollup_truncate AFTER TRUNCATE ON prompt_provider_responses
  FOR EACH STATEMENT EXECUTE FUNCTION coverage_rollup_clear();
--> statement-breakpoint
-- Makes the night's partition of `parent` (batch_tasks or prompt_provider_responses) if missing,
-- moving the night's rows out of DEFAULT first: ATTACH refuses while DEFAULT holds one. DEFAULT
-- is locked before the move so no row of the night can slip in between. ATTACH takes only SHARE
-- UPDATE EXCLUSIVE on the parent: claims and completions go on meanwhile. Moving rows between
-- partitions directly fires none of the parent's statement triggers, so the rollup is untouched.
-- True when it made the partition.
CREATE FUNCTION queue_ensure_partition(parent text, night date) RETURNS boolean LANGUAGE plpgsql AS $$
DECLARE
  part text := parent || '_p' || to_char(night, 'YYYYMMDD');
  fallback text := parent || '_default';
BEGIN
  IF parent NOT IN ('batch_tasks', 'prompt_provider_responses') THEN
    RAISE EXCEPTION 'not a partitioned queue table: %', parent;
  END IF;
  IF to_regclass(part) IS NOT NULL THEN
    RETURN false;
  END IF;
  PERFORM pg_advisory_xact_lock(604232, hashtext(part));
  -- A query of pg_class, not to_regclass: a statement takes a fresh snapshot and sees a partition
  -- another session made while this one waited; to_regclass's cached catalog lookup did not.
  PERFORM 1 FROM pg_class c WHERE c.relname = part AND c.relnamespace = current_schema()::regnamespace;
  IF FOUND THEN
    RETURN false;
  END IF;
  EXECUTE format('LOCK TABLE %I IN SHARE ROW EXCLUSIVE MODE', fallback);
  EXECUTE format('CREATE TABLE %I (LIKE %I INCLUDING DEFAULTS INCLUDING CONSTRAINTS)', part, parent);
  EXECUTE format('ALTER TABLE %I ADD CONSTRAINT %I CHECK (run_date = %L)', part, part || '_night', night);
  EXECUTE format('WITH moved AS (DELETE FROM %I WHERE run_date = $1 RETURNING *) INSERT INTO %I SELECT * FROM moved',
                 fallback, part) USING night;
  EXECUTE format('ALTER TABLE %I ATTACH PARTITION %I FOR VALUES FROM (%L) TO (%L)', parent, part, night, night + 1);
  EXECUTE format('ALTER TABLE %I DROP CONSTRAINT %I', part, part || '_night');
  RETURN true;
END $$;
