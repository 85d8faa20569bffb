ALTER TABLE "slack_reports" ALTER COLUMN "ts" DROP NOT NULL;--> statement-breakpoint
ALTER TABLE "slack_reports" ADD COLUMN "claimed_at" timestamp with time zone;--> statement-breakpoint
ALTER TABLE "slack_reports" ADD COLUMN "refresh_requested_at" timestamp with time zone;--> statement-breakpoint
ALTER TABLE "slack_reports" ADD COLUMN "edited_at" timestamp with time zone;