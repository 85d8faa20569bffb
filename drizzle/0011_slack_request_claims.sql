-- Each mutating Slack request acts once: its identity is claimed here before it acts
-- (src/db/slack-request-claims.ts); the reconciler prunes claims older than a day.
CREATE TABLE "slack_request_claims" (
	"identity" text PRIMARY KEY NOT NULL,
	"kind" text NOT NULL,
	"user_id" text NOT NULL,
	"claimed_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "slack_request_claims_kind_check" CHECK ("slack_request_claims"."kind" in ('command', 'action', 'view'))
);
--> statement-breakpoint
CREATE INDEX "slack_request_claims_claimed_at_idx" ON "slack_request_claims" USING btree ("claimed_at");
