-- Task counts per (run_date, org, provider, status), kept by statement triggers on batch_tasks
-- whatever writes tasks (enqueue, claim, complete, fail, expire, cancel, delete), so a running
-- night's figures are read from a few thousand rows instead of its units. Rows are appended, never
-- updated, as coverage_rollup's are: concurrent claims and completions of one org never share a
-- row, and readers sum. Each statement's change comes from its own transition tables, so no lock
-- is needed: a count's deltas add up whatever order their statements commit in.
--
-- done_minute: the minute a completed or failed task finished (null for other statuses), so the
-- rate of the last minutes is read from the counts too. Folding keeps the minutes of the night's
-- last quarter hour and drops the older ones. first_start: the earliest started_at of the rows a
-- statement wrote (the night's first start is their minimum).
CREATE TABLE "task_counts" (
	"id" bigint PRIMARY KEY GENERATED ALWAYS AS IDENTITY (sequence name "task_counts_id_seq" INCREMENT BY 1 MINVALUE 1 MAXVALUE 9223372036854775807 START WITH 1 CACHE 1),
	"run_date" date NOT NULL,
	"org_id" uuid NOT NULL,
	"provider" text NOT NULL,
	"status" text NOT NULL,
	"done_minute" timestamp with time zone,
	"tasks" integer NOT NULL,
	"first_start" timestamp with time zone
);
--> statement-breakpoint
CREATE INDEX "task_counts_key_idx" ON "task_counts" USING btree ("run_date","org_id","provider","status");
--> statement-breakpoint
-- The minute a task in `status` finished, or null while it has not.
CREATE FUNCTION task_counts_minute(status text, completed_at timestamptz) RETURNS timestamptz
LANGUAGE sql IMMUTABLE AS $$
  SELECT CASE WHEN status IN ('completed', 'failed') THEN date_trunc('minute', completed_at) END
$$;
--> statement-breakpoint
-- Folds the rows of each key that has several into one. It sums exactly the rows its DELETE
-- removed, so rows appended meanwhile, or a fold running at the same time, are never lost or
-- counted twice. Finish minutes older than the night's last quarter hour become null: the rate
-- reads only the last few minutes, and a night's rows stay about one per key.
CREATE FUNCTION task_counts_fold(dates date[]) RETURNS void LANGUAGE sql AS $$
  WITH latest AS (
    SELECT run_date, max(done_minute) - interval '15 minutes' AS keep_from
    FROM task_counts WHERE run_date = ANY (dates) GROUP BY run_date
  ),
  mapped AS (
    SELECT c.id, c.run_date, c.org_id, c.provider, c.status,
           CASE WHEN c.done_minute >= l.keep_from THEN c.done_minute END AS minute
    FROM task_counts c JOIN latest l ON l.run_date = c.run_date
  ),
  keys AS (
    SELECT run_date, org_id, provider, status, minute FROM mapped
    GROUP BY run_date, org_id, provider, status, minute HAVING count(*) > 1
  ),
  gone AS (
    DELETE FROM task_counts c USING mapped m, keys k
    WHERE c.id = m.id AND m.run_date = k.run_date AND m.org_id = k.org_id AND m.provider = k.provider
      AND m.status = k.status AND m.minute IS NOT DISTINCT FROM k.minute
    RETURNING c.run_date, c.org_id, c.provider, c.status, m.minute, c.tasks, c.first_start
  )
  INSERT INTO task_counts (run_date, org_id, provider, status, done_minute, tasks, first_start)
  SELECT run_date, org_id, provider, status, minute, sum(tasks), min(first_start) FROM gone
  GROUP BY run_date, org_id, provider, status, minute
  HAVING sum(tasks) <> 0 OR min(first_start) IS NOT NULL
$$;
--> statement-breakpoint
-- One statement's changes, from its transition tables: +1 per new row, -1 per old row, by key.
CREATE FUNCTION task_counts_track() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  fold boolean;
  dates date[];
BEGIN
  IF TG_OP = 'INSERT' THEN
    WITH appended AS (
      INSERT INTO task_counts (run_date, org_id, provider, status, done_minute, tasks, first_start)
      SELECT run_date, org_id, provider, status, task_counts_minute(status, completed_at), count(*), min(started_at)
      FROM new_rows GROUP BY 1, 2, 3, 4, 5
      RETURNING id, run_date
    )
    SELECT coalesce(bool_or(id % 256 = 0), false), array_agg(DISTINCT run_date) INTO fold, dates FROM appended;
  ELSIF TG_OP = 'DELETE' THEN
    WITH appended AS (
      INSERT INTO task_counts (run_date, org_id, provider, status, done_minute, tasks)
      SELECT run_date, org_id, provider, status, task_counts_minute(status, completed_at), -count(*)
      FROM old_rows GROUP BY 1, 2, 3, 4, 5
      RETURNING id, run_date
    )
    SELECT coalesce(bool_or(id % 256 = 0), false), array_agg(DISTINCT run_date) INTO fold, dates FROM appended;
  ELSE
    WITH changed AS (
      SELECT run_date, org_id, provider, status, task_counts_minute(status, completed_at) AS minute,
             1 AS n, started_at
      FROM new_rows
      UNION ALL
      SELECT run_date, org_id, provider, status, task_counts_minute(status, completed_at), -1, NULL
      FROM old_rows
    ),
    appended AS (
      INSERT INTO task_counts (run_date, org_id, provider, status, done_minute, tasks, first_start)
      SELECT run_date, org_id, provider, status, minute, sum(n), min(started_at)
      FROM changed GROUP BY 1, 2, 3, 4, 5
      HAVING sum(n) <> 0
      RETURNING id, run_date
    )
    SELECT coalesce(bool_or(id % 256 = 0), false), array_agg(DISTINCT run_date) INTO fold, dates FROM appended;
  END IF;
  -- About every 256 appended rows, fold; a writer never waits for another one's fold.
  IF fold AND pg_try_advisory_xact_lock(604233, -1) THEN
    PERFORM task_counts_fold(dates);
  END IF;
  RETURN NULL;
END $$;
--> statement-breakpoint
-- DELETE, not TRUNCATE: a TRUNCATE naming both tables would find task_counts in use.
CREATE FUNCTION task_counts_clear() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  DELETE FROM task_counts;
  RETURN NULL;
END $$;
--> statement-breakpoint
CREATE TRIGGER task_counts_insert AFTER INSERT ON batch_tasks
  REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION task_counts_track();
--> statement-breakpoint
CREATE TRIGGER task_counts_update AFTER UPDATE ON batch_tasks
  REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION task_counts_track();
--> statement-breakpoint
CREATE TRIGGER task_counts_delete AFTER DELETE ON batch_tasks
  REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION task_counts_track();
--> statement-breakpoint
CREATE TRIGGER task_counts_truncate AFTER TRUNCATE ON batch_tasks
  FOR EACH STATEMENT EXECUTE FUNCTION task_counts_clear();
--> statement-breakpoint
-- The tasks already stored, one row per key (finish minutes of the night's last quarter hour
-- apart, as a fold leaves them). The triggers above already lock the table against writers
-- (migrations run in one transaction), so nothing is written between this count and them.
INSERT INTO task_counts (run_date, org_id, provider, status, done_minute, tasks, first_start)
SELECT run_date, org_id, provider, status, minute, sum(tasks), min(first_start)
FROM (SELECT run_date, org_id, provider, status, tasks, first_start,
             CASE WHEN minute >= max(minute) OVER (PARTITION BY run_date) - interval '15 minutes'
                  THEN minute END AS minute
      FROM (SELECT run_date, org_id, provider, status, task_counts_minute(status, completed_at) AS minute,
                   count(*)::int AS tasks, min(started_at) AS first_start
            FROM batch_tasks GROUP BY 1, 2, 3, 4, 5) AS counted) AS kept
GROUP BY 1, 2, 3, 4, 5;
