CREATE TABLE "late_alerts" (
	"run_date" date NOT NULL,
	"step" text NOT NULL,
	"claimed_at" timestamp with time zone DEFAULT now() NOT NULL,
	"channel" text,
	"ts" text,
	CONSTRAINT "late_alerts_run_date_step_pk" PRIMARY KEY("run_date","step"),
	CONSTRAINT "late_alerts_step_check" CHECK ("late_alerts"."step" in ('trigger', 'postcheck'))
);
