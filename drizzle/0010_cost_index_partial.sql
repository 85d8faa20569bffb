-- The cost index, partial on a predicate only the cost query states (src/db/schema.ts says why).
DROP INDEX "ppr_run_date_cost_idx";--> statement-breakpoint
CREATE INDEX "ppr_run_date_cost_idx" ON "prompt_provider_responses" USING btree ("run_date","provider","tokens_in","tokens_out") WHERE model is not null;