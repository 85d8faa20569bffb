CREATE TABLE "batch_jobs" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"org_id" uuid NOT NULL,
	"run_date" date NOT NULL,
	"source" text NOT NULL,
	"status" text DEFAULT 'queued' NOT NULL,
	"total_tasks" integer DEFAULT 0 NOT NULL,
	"completed_tasks" integer DEFAULT 0 NOT NULL,
	"failed_tasks" integer DEFAULT 0 NOT NULL,
	"triggered_by" text NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"started_at" timestamp with time zone,
	"completed_at" timestamp with time zone,
	"metadata" jsonb DEFAULT '{}'::jsonb NOT NULL,
	CONSTRAINT "batch_jobs_source_check" CHECK ("batch_jobs"."source" in ('nightly', 'repair', 'rerun', 'manual')),
	CONSTRAINT "batch_jobs_status_check" CHECK ("batch_jobs"."status" in ('queued', 'processing', 'completed', 'failed', 'cancelled'))
);
--> statement-breakpoint
CREATE TABLE "batch_tasks" (
	"id" bigint PRIMARY KEY GENERATED ALWAYS AS IDENTITY (sequence name "batch_tasks_id_seq" INCREMENT BY 1 MINVALUE 1 MAXVALUE 9223372036854775807 START WITH 1 CACHE 1),
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
	CONSTRAINT "batch_tasks_status_check" CHECK ("batch_tasks"."status" in ('pending', 'processing', 'completed', 'failed', 'cancelled'))
);
--> statement-breakpoint
CREATE TABLE "organizations" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"name" text NOT NULL,
	"slug" text NOT NULL,
	"plan" text NOT NULL,
	"subscription_status" text NOT NULL,
	"active" boolean DEFAULT true NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "organizations_slug_unique" UNIQUE("slug"),
	CONSTRAINT "organizations_plan_check" CHECK ("organizations"."plan" in ('starter', 'growth', 'pro', 'enterprise')),
	CONSTRAINT "organizations_subscription_status_check" CHECK ("organizations"."subscription_status" in ('active', 'trialing', 'past_due', 'canceled'))
);
--> statement-breakpoint
CREATE TABLE "prompt_provider_responses" (
	"id" bigint PRIMARY KEY GENERATED ALWAYS AS IDENTITY (sequence name "prompt_provider_responses_id_seq" INCREMENT BY 1 MINVALUE 1 MAXVALUE 9223372036854775807 START WITH 1 CACHE 1),
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
	CONSTRAINT "prompt_provider_responses_batch_task_id_unique" UNIQUE("batch_task_id"),
	CONSTRAINT "ppr_status_check" CHECK ("prompt_provider_responses"."status" in ('success', 'error'))
);
--> statement-breakpoint
CREATE TABLE "prompts" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"org_id" uuid NOT NULL,
	"text" text NOT NULL,
	"active" boolean DEFAULT true NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "providers" (
	"name" text PRIMARY KEY NOT NULL,
	"enabled" boolean DEFAULT false NOT NULL,
	"model" text NOT NULL,
	"rpm" integer NOT NULL,
	"max_concurrency" integer NOT NULL,
	"paused_until" timestamp with time zone,
	"pause_reason" text,
	CONSTRAINT "providers_name_check" CHECK ("providers"."name" in ('openai', 'anthropic', 'gemini', 'perplexity'))
);
--> statement-breakpoint
CREATE TABLE "scheduler_runs" (
	"id" bigint PRIMARY KEY GENERATED ALWAYS AS IDENTITY (sequence name "scheduler_runs_id_seq" INCREMENT BY 1 MINVALUE 1 MAXVALUE 9223372036854775807 START WITH 1 CACHE 1),
	"function_name" text NOT NULL,
	"run_key" text NOT NULL,
	"status" text NOT NULL,
	"started_at" timestamp with time zone DEFAULT now() NOT NULL,
	"completed_at" timestamp with time zone,
	"triggered_by" text NOT NULL,
	"result" jsonb,
	"error" text,
	CONSTRAINT "scheduler_runs_function_run_key_key" UNIQUE("function_name","run_key"),
	CONSTRAINT "scheduler_runs_status_check" CHECK ("scheduler_runs"."status" in ('running', 'completed', 'failed', 'skipped'))
);
--> statement-breakpoint
CREATE TABLE "slack_reports" (
	"run_date" date NOT NULL,
	"channel" text NOT NULL,
	"ts" text NOT NULL,
	"posted_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "slack_reports_run_date_channel_pk" PRIMARY KEY("run_date","channel")
);
--> statement-breakpoint
ALTER TABLE "batch_jobs" ADD CONSTRAINT "batch_jobs_org_id_organizations_id_fk" FOREIGN KEY ("org_id") REFERENCES "public"."organizations"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "batch_tasks" ADD CONSTRAINT "batch_tasks_batch_job_id_batch_jobs_id_fk" FOREIGN KEY ("batch_job_id") REFERENCES "public"."batch_jobs"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "batch_tasks" ADD CONSTRAINT "batch_tasks_org_id_organizations_id_fk" FOREIGN KEY ("org_id") REFERENCES "public"."organizations"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "batch_tasks" ADD CONSTRAINT "batch_tasks_prompt_id_prompts_id_fk" FOREIGN KEY ("prompt_id") REFERENCES "public"."prompts"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "prompt_provider_responses" ADD CONSTRAINT "prompt_provider_responses_batch_task_id_batch_tasks_id_fk" FOREIGN KEY ("batch_task_id") REFERENCES "public"."batch_tasks"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "prompt_provider_responses" ADD CONSTRAINT "prompt_provider_responses_org_id_organizations_id_fk" FOREIGN KEY ("org_id") REFERENCES "public"."organizations"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "prompt_provider_responses" ADD CONSTRAINT "prompt_provider_responses_prompt_id_prompts_id_fk" FOREIGN KEY ("prompt_id") REFERENCES "public"."prompts"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "prompts" ADD CONSTRAINT "prompts_org_id_organizations_id_fk" FOREIGN KEY ("org_id") REFERENCES "public"."organizations"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "batch_jobs_run_date_org_idx" ON "batch_jobs" USING btree ("run_date","org_id");--> statement-breakpoint
CREATE INDEX "batch_jobs_created_at_idx" ON "batch_jobs" USING btree ("created_at");--> statement-breakpoint
CREATE UNIQUE INDEX "batch_tasks_one_live_per_unit" ON "batch_tasks" USING btree ("run_date","prompt_id","provider") WHERE status in ('pending', 'processing');--> statement-breakpoint
CREATE INDEX "batch_tasks_claim_idx" ON "batch_tasks" USING btree ("provider","available_at") WHERE status = 'pending';--> statement-breakpoint
CREATE INDEX "batch_tasks_lease_idx" ON "batch_tasks" USING btree ("lease_expires_at") WHERE status = 'processing';--> statement-breakpoint
CREATE INDEX "batch_tasks_job_idx" ON "batch_tasks" USING btree ("batch_job_id","status");--> statement-breakpoint
CREATE INDEX "batch_tasks_unit_idx" ON "batch_tasks" USING btree ("run_date","prompt_id","provider");--> statement-breakpoint
CREATE INDEX "ppr_success_unit_idx" ON "prompt_provider_responses" USING btree ("run_date","prompt_id","provider") WHERE status = 'success';--> statement-breakpoint
CREATE INDEX "ppr_run_at_idx" ON "prompt_provider_responses" USING btree ("run_at");--> statement-breakpoint
CREATE INDEX "prompts_org_active_idx" ON "prompts" USING btree ("org_id","active");--> statement-breakpoint
CREATE INDEX "scheduler_runs_started_at_idx" ON "scheduler_runs" USING btree ("started_at");