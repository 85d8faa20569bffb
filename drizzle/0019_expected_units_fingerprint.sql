-- What the night expected when a step ran (the trigger, the postcheck), per org: [units, sum of a
-- hash of each (prompt, provider)] (src/coverage/expected-fingerprint.ts). The audit compares it
-- with what the night expects now, so an org whose expected units changed after the step (a plan
-- upgraded, another prompt come into the quota) is told apart from a step that missed units, even
-- when the count stayed the same. Null on rows recorded before it: the audit then falls back to
-- its older rules.
ALTER TABLE "scheduler_runs" ADD COLUMN "expected_units" jsonb;
