CREATE TABLE "provider_calls" (
	"id" bigint PRIMARY KEY GENERATED ALWAYS AS IDENTITY (sequence name "provider_calls_id_seq" INCREMENT BY 1 MINVALUE 1 MAXVALUE 9223372036854775807 START WITH 1 CACHE 1),
	"provider" text NOT NULL,
	"started_at" timestamp with time zone DEFAULT now() NOT NULL,
	"worker_id" text NOT NULL,
	"batch_task_id" bigint
);
--> statement-breakpoint
DROP INDEX "batch_tasks_claim_idx";--> statement-breakpoint
DROP INDEX "batch_tasks_lease_idx";--> statement-breakpoint
CREATE INDEX "provider_calls_provider_started_idx" ON "provider_calls" USING btree ("provider","started_at");--> statement-breakpoint
CREATE INDEX "batch_tasks_claim_idx" ON "batch_tasks" USING btree ("provider","available_at","id") WHERE status = 'pending';--> statement-breakpoint
CREATE INDEX "batch_tasks_lease_idx" ON "batch_tasks" USING btree ("provider","lease_expires_at") WHERE status = 'processing';