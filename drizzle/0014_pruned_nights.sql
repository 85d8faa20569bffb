-- Nights whose queue rows retention removed (QUEUE_RETENTION_DAYS): what history still needs of
-- them (when the night's first task was made and its last one ended), and, once their responses
-- went too (RESPONSE_RETENTION_DAYS), when. Their figures stay in scheduler_runs and the rollup.
CREATE TABLE "pruned_nights" (
	"run_date" date PRIMARY KEY NOT NULL,
	"queue_pruned_at" timestamp with time zone NOT NULL,
	"tasks" integer NOT NULL,
	"jobs" integer NOT NULL,
	"first_created" timestamp with time zone,
	"last_completed" timestamp with time zone,
	"responses_pruned_at" timestamp with time zone,
	"responses" integer
);
