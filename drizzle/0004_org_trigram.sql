-- Org search by substring and by similarity from an index (src/orgs/find-org.ts) instead of
-- reading every org. pg_trgm is a trusted extension (PostgreSQL 13+): the database owner may
-- create it without being a superuser. PGlite loads it in src/db/client.ts.
CREATE EXTENSION IF NOT EXISTS pg_trgm;--> statement-breakpoint
CREATE INDEX "organizations_name_trgm_idx" ON "organizations" USING gin ("name" gin_trgm_ops);--> statement-breakpoint
CREATE INDEX "organizations_slug_trgm_idx" ON "organizations" USING gin ("slug" gin_trgm_ops);
