-- Warnings raised while a night runs (src/scheduler/night-warnings.ts): one row per night, kind
-- and subject (a provider, or '' for the whole night), inserted before the post so however many
-- instances notice, one posts; state changes (recovered, failing again) are claimed by one UPDATE.
CREATE TABLE "night_warnings" (
	"run_date" date NOT NULL,
	"kind" text NOT NULL,
	"subject" text DEFAULT '' NOT NULL,
	"claimed_at" timestamp with time zone DEFAULT now() NOT NULL,
	"state" text DEFAULT 'failing' NOT NULL,
	"state_changed_at" timestamp with time zone DEFAULT now() NOT NULL,
	"sentence" text,
	"channel" text,
	"ts" text,
	CONSTRAINT "night_warnings_pk" PRIMARY KEY("run_date","kind","subject"),
	CONSTRAINT "night_warnings_kind_check" CHECK ("night_warnings"."kind" in ('provider_failing', 'stalled', 'late_finish')),
	CONSTRAINT "night_warnings_state_check" CHECK ("night_warnings"."state" in ('failing', 'recovered'))
);
