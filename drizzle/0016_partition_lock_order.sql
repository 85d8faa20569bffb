-- queue_ensure_partition takes its locks at their final strength, first thing: SHARE UPDATE
-- EXCLUSIVE on the parent (what ATTACH needs) and ACCESS EXCLUSIVE on DEFAULT (what ATTACH takes
-- to check DEFAULT holds no row of the night). It used to take SHARE ROW EXCLUSIVE on DEFAULT and
-- ask for more at ATTACH; a worker that had read DEFAULT and then asked to write it waited on the
-- maker while the maker waited on it, and PostgreSQL cancelled the trigger ("deadlock detected").
-- A lock asked for once, in full, is only ever waited for: the worker goes first, then the maker.
-- One advisory lock per parent lets one maker at a time through, nights in the callers' order.
CREATE OR REPLACE FUNCTION queue_ensure_partition(parent text, night date) RETURNS boolean LANGUAGE plpgsql AS $$
DECLARE
  part text := parent || '_p' || to_char(night, 'YYYYMMDD');
  fallback text := parent || '_default';
BEGIN
  IF parent NOT IN ('batch_tasks', 'prompt_provider_responses') THEN
    RAISE EXCEPTION 'not a partitioned queue table: %', parent;
  END IF;
  IF to_regclass(part) IS NOT NULL THEN
    RETURN false;
  END IF;
  PERFORM pg_advisory_xact_lock(604232, hashtext(parent));
  -- A query of pg_class, not to_regclass: a statement takes a fresh snapshot and sees a partition
  -- another session made while this one waited; to_regclass's cached catalog lookup did not.
  PERFORM 1 FROM pg_class c WHERE c.relname = part AND c.relnamespace = current_schema()::regnamespace;
  IF FOUND THEN
    RETURN false;
  END IF;
  EXECUTE format('LOCK TABLE ONLY %I IN SHARE UPDATE EXCLUSIVE MODE', parent);
  EXECUTE format('LOCK TABLE %I IN ACCESS EXCLUSIVE MODE', fallback);
  EXECUTE format('CREATE TABLE %I (LIKE %I INCLUDING DEFAULTS INCLUDING CONSTRAINTS)', part, parent);
  EXECUTE format('ALTER TABLE %I ADD CONSTRAINT %I CHECK (run_date = %L)', part, part || '_night', night);
  EXECUTE format('WITH moved AS (DELETE FROM %I WHERE run_date = $1 RETURNING *) INSERT INTO %I SELECT * FROM moved',
                 fallback, part) USING night;
  EXECUTE format('ALTER TABLE %I ATTACH PARTITION %I FOR VALUES FROM (%L) TO (%L)', parent, part, night, night + 1);
  EXECUTE format('ALTER TABLE %I DROP CONSTRAINT %I', part, part || '_night');
  RETURN true;
END $$;
