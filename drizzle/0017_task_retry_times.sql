-- When each retried call of a task failed: the night watch judges a provider by its calls in the
-- last minutes, and a unit that failed twice during an outage and succeeded after it had its two
-- failed calls counted when it succeeded, as if they were recent. Appended by the release that
-- puts a failed call's task back to pending (a 429 or a shutdown refunds its attempt: not a failed call).
ALTER TABLE "batch_tasks" ADD COLUMN "retried_at" timestamp with time zone[] DEFAULT '{}' NOT NULL;
