CREATE TABLE "coverage_rollup" (
	"id" bigint PRIMARY KEY GENERATED ALWAYS AS IDENTITY (sequence name "coverage_rollup_id_seq" INCREMENT BY 1 MINVALUE 1 MAXVALUE 9223372036854775807 START WITH 1 CACHE 1),
	"run_date" date NOT NULL,
	"org_id" uuid NOT NULL,
	"provider" text NOT NULL,
	"succeeded" integer NOT NULL
);
--> statement-breakpoint
CREATE INDEX "coverage_rollup_key_idx" ON "coverage_rollup" USING btree ("run_date","org_id","provider");--> statement-breakpoint
CREATE INDEX "batch_tasks_final_failure_idx" ON "batch_tasks" USING btree ("run_date","prompt_id","provider") WHERE status in ('failed', 'cancelled');--> statement-breakpoint
-- The rollup of succeeded units (src/db/schema.ts coverageRollup), kept by the triggers below
-- whatever writes responses: one statement or many, one row or thousands per statement.
--
-- Applies one statement's changes, one entry per unit (run_date, org, prompt, provider) with the
-- success rows it added and removed. Every writer of a unit first takes the unit's advisory lock
-- (one of 1,024, in one order within a statement): two transactions adding the first success of
-- one unit at once would otherwise each count it. Once the locks are held, the next statement's
-- snapshot sees every committed write of those units, so the count of success rows now, and
-- before this statement (now - added + removed), says whether the unit went from none to some
-- (+1) or from some to none (-1). Rows are appended, never updated: see coverage_rollup_fold.
CREATE FUNCTION coverage_rollup_apply(dates date[], orgs uuid[], prompts uuid[], providers text[],
                                      added int[], removed int[]) RETURNS void LANGUAGE plpgsql AS $$
DECLARE
  fold boolean;
BEGIN
  PERFORM pg_advisory_xact_lock(604231, b)
  FROM (SELECT DISTINCT hashtext(u.p::text || u.v || u.d::text) & 1023 AS b
        FROM unnest(dates, prompts, providers) AS u(d, p, v)
        ORDER BY 1) AS buckets;
  WITH change AS (
    SELECT u.d, u.o, u.v, (n.now > 0)::int - (n.now - u.a + u.r > 0)::int AS delta
    FROM unnest(dates, orgs, prompts, providers, added, removed) AS u(d, o, p, v, a, r)
    CROSS JOIN LATERAL (
      SELECT count(*)::int AS now FROM prompt_provider_responses s
      WHERE s.run_date = u.d AND s.prompt_id = u.p AND s.provider = u.v AND s.status = 'success'
        AND s.org_id = u.o
    ) AS n
  ),
  appended AS (
    INSERT INTO coverage_rollup (run_date, org_id, provider, succeeded)
    SELECT d, o, v, sum(delta) FROM change GROUP BY d, o, v HAVING sum(delta) <> 0
    RETURNING id
  )
  SELECT coalesce(bool_or(id % 256 = 0), false) INTO fold FROM appended;
  -- About every 256 appended rows, fold; a writer never waits for another one's fold.
  IF fold AND pg_try_advisory_xact_lock(604231, -1) THEN
    PERFORM coverage_rollup_fold(ARRAY(SELECT DISTINCT unnest(dates)));
  END IF;
END $$;
--> statement-breakpoint
-- Folds the rows of each key that has several into one (dropped when they sum to 0). It sums
-- exactly the rows its DELETE removed, so rows appended meanwhile, or a fold running at the same
-- time, are never lost or counted twice.
CREATE FUNCTION coverage_rollup_fold(dates date[]) RETURNS void LANGUAGE sql AS $$
  WITH keys AS (
    SELECT run_date, org_id, provider FROM coverage_rollup
    WHERE run_date = ANY (dates)
    GROUP BY run_date, org_id, provider HAVING count(*) > 1
  ),
  gone AS (
    DELETE FROM coverage_rollup r USING keys k
    WHERE r.run_date = k.run_date AND r.org_id = k.org_id AND r.provider = k.provider
    RETURNING r.run_date, r.org_id, r.provider, r.succeeded
  )
  INSERT INTO coverage_rollup (run_date, org_id, provider, succeeded)
  SELECT run_date, org_id, provider, sum(succeeded) FROM gone
  GROUP BY run_date, org_id, provider HAVING sum(succeeded) <> 0
$$;
--> statement-breakpoint
-- One statement's success rows per unit, from its transition tables.
CREATE FUNCTION coverage_rollup_track() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  d date[]; o uuid[]; p uuid[]; v text[]; a int[]; r int[];
BEGIN
  IF TG_OP = 'INSERT' THEN
    SELECT array_agg(run_date), array_agg(org_id), array_agg(prompt_id), array_agg(provider),
           array_agg(n), array_agg(0)
    INTO d, o, p, v, a, r
    FROM (SELECT run_date, org_id, prompt_id, provider, count(*)::int AS n
          FROM new_rows WHERE status = 'success'
          GROUP BY run_date, org_id, prompt_id, provider) AS g;
  ELSIF TG_OP = 'DELETE' THEN
    SELECT array_agg(run_date), array_agg(org_id), array_agg(prompt_id), array_agg(provider),
           array_agg(0), array_agg(n)
    INTO d, o, p, v, a, r
    FROM (SELECT run_date, org_id, prompt_id, provider, count(*)::int AS n
          FROM old_rows WHERE status = 'success'
          GROUP BY run_date, org_id, prompt_id, provider) AS g;
  ELSE
    SELECT array_agg(run_date), array_agg(org_id), array_agg(prompt_id), array_agg(provider),
           array_agg(na), array_agg(nr)
    INTO d, o, p, v, a, r
    FROM (SELECT run_date, org_id, prompt_id, provider, sum(x.a)::int AS na, sum(x.r)::int AS nr
          FROM (SELECT run_date, org_id, prompt_id, provider, 1 AS a, 0 AS r
                FROM new_rows WHERE status = 'success'
                UNION ALL
                SELECT run_date, org_id, prompt_id, provider, 0, 1
                FROM old_rows WHERE status = 'success') AS x
          GROUP BY run_date, org_id, prompt_id, provider) AS g;
  END IF;
  IF d IS NOT NULL THEN
    PERFORM coverage_rollup_apply(d, o, p, v, a, r);
  END IF;
  RETURN NULL;
END $$;
--> statement-breakpoint
CREATE FUNCTION coverage_rollup_clear() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  TRUNCATE coverage_rollup;
  RETURN NULL;
END $$;
--> statement-breakpoint
CREATE TRIGGER coverage_rollup_insert AFTER INSERT ON prompt_provider_responses
  REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION coverage_rollup_track();
--> statement-breakpoint
CREATE TRIGGER coverage_rollup_update AFTER UPDATE ON prompt_provider_responses
  REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION coverage_rollup_track();
--> statement-breakpoint
CREATE TRIGGER coverage_rollup_delete AFTER DELETE ON prompt_provider_responses
  REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION coverage_rollup_track();
--> statement-breakpoint
CREATE TRIGGER coverage_rollup_truncate AFTER TRUNCATE ON prompt_provider_responses
  FOR EACH STATEMENT EXECUTE FUNCTION coverage_rollup_clear();
--> statement-breakpoint
-- The responses already stored. The triggers above already lock the table against writers
-- (migrations run in one transaction), so nothing is written between this count and them.
INSERT INTO coverage_rollup (run_date, org_id, provider, succeeded)
SELECT run_date, org_id, provider, count(*)
FROM (SELECT DISTINCT run_date, org_id, prompt_id, provider
      FROM prompt_provider_responses WHERE status = 'success') AS units
GROUP BY run_date, org_id, provider;
