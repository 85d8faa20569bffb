CREATE TABLE "night_pages" (
	"run_date" date PRIMARY KEY NOT NULL,
	"oncall_claimed_at" timestamp with time zone,
	"oncall_ts" text,
	"pager_state" text,
	"pager_changed_at" timestamp with time zone,
	CONSTRAINT "night_pages_pager_state_check" CHECK (pager_state in ('triggered', 'resolved'))
);
--> statement-breakpoint
CREATE INDEX "ppr_run_date_cost_idx" ON "prompt_provider_responses" USING btree ("run_date","provider","tokens_in","tokens_out");