-- Live tasks a provider change cancelled, per run_date ({"2026-03-09": 551}): the report says so.
ALTER TABLE "provider_changes" ADD COLUMN "cancelled" jsonb DEFAULT '{}'::jsonb NOT NULL;--> statement-breakpoint
-- When this database was first set up: no step is late, no night missed, before it. An existing
-- database counts from its first recorded step.
CREATE TABLE "installation" (
	"id" boolean PRIMARY KEY DEFAULT true NOT NULL,
	"installed_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "installation_one_row_check" CHECK ("id")
);--> statement-breakpoint
INSERT INTO "installation" ("installed_at")
SELECT coalesce((SELECT min("started_at") FROM "scheduler_runs"), now());--> statement-breakpoint
-- A night that was owed and never ran, acknowledged by a person instead of backfilled.
CREATE TABLE "night_acks" (
	"run_date" date PRIMARY KEY NOT NULL,
	"acked_by" text NOT NULL,
	"acked_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
-- A missed night's alert is claimed like a late step's: once per night, however many instances.
ALTER TABLE "late_alerts" DROP CONSTRAINT "late_alerts_step_check";--> statement-breakpoint
ALTER TABLE "late_alerts" ADD CONSTRAINT "late_alerts_step_check" CHECK ("late_alerts"."step" in ('trigger', 'postcheck', 'missed'));
