CREATE TABLE "snoozes" (
	"id" bigint PRIMARY KEY GENERATED ALWAYS AS IDENTITY (sequence name "snoozes_id_seq" INCREMENT BY 1 MINVALUE 1 MAXVALUE 9223372036854775807 START WITH 1 CACHE 1),
	"scope" text NOT NULL,
	"provider" text,
	"org_id" uuid,
	"starts_at" timestamp with time zone DEFAULT now() NOT NULL,
	"ends_at" timestamp with time zone,
	"until_success" boolean DEFAULT false NOT NULL,
	"reason" text,
	"created_by" text NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"ended_at" timestamp with time zone,
	"ended_by" text,
	"expiry_claimed_at" timestamp with time zone,
	"expiry_ts" text,
	CONSTRAINT "snoozes_scope_check" CHECK ("snoozes"."scope" in ('provider', 'org', 'org_provider')),
	CONSTRAINT "snoozes_scope_columns_check" CHECK (("snoozes"."scope" = 'provider' and "snoozes"."provider" is not null and "snoozes"."org_id" is null)
          or ("snoozes"."scope" = 'org' and "snoozes"."provider" is null and "snoozes"."org_id" is not null)
          or ("snoozes"."scope" = 'org_provider' and "snoozes"."provider" is not null and "snoozes"."org_id" is not null)),
	CONSTRAINT "snoozes_end_check" CHECK ("snoozes"."until_success" or "snoozes"."ends_at" is not null),
	CONSTRAINT "snoozes_window_check" CHECK ("snoozes"."ends_at" is null or "snoozes"."ends_at" > "snoozes"."starts_at")
);
--> statement-breakpoint
ALTER TABLE "snoozes" ADD CONSTRAINT "snoozes_org_id_organizations_id_fk" FOREIGN KEY ("org_id") REFERENCES "public"."organizations"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "snoozes_open_idx" ON "snoozes" USING btree ("starts_at") WHERE ended_at is null;--> statement-breakpoint
CREATE INDEX "snoozes_expiry_idx" ON "snoozes" USING btree ("id") WHERE expiry_claimed_at is null;