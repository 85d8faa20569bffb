ALTER TABLE "provider_calls" DISABLE ROW LEVEL SECURITY;--> statement-breakpoint
DROP TABLE "provider_calls" CASCADE;--> statement-breakpoint
ALTER TABLE "providers" ADD COLUMN "next_call_at" timestamp with time zone;--> statement-breakpoint
CREATE INDEX "batch_tasks_live_job_idx" ON "batch_tasks" USING btree ("batch_job_id") WHERE status in ('pending', 'processing');