import { IANAZone } from 'luxon';
import { z } from 'zod';
import { SchedError } from './errors.ts';
import { PROVIDER_NAMES, type ProviderName } from './provider-names.ts';
import { cronExpressionProblem } from './time/cron-matcher.ts';

/** Environment variables (DESIGN §6), validated once at start-up. `.env.example` lists them all. */

const emptyToUndefined = (value: unknown) => (value === '' ? undefined : value);
const optionalString = z.preprocess(emptyToUndefined, z.string().optional());
const bool = (fallback: boolean) =>
  z.preprocess(
    emptyToUndefined,
    z
      .enum(['true', 'false', '1', '0', 'yes', 'no'], { message: 'must be true or false' })
      .optional()
      .transform((v) => (v === undefined ? fallback : ['true', '1', 'yes'].includes(v))),
  );
/** Plain decimal digits only: `0x10`, `1e2`, `1.0` and ` 8` are mistakes, not 16, 100, 1 and 8. */
const int = (fallback: number, min: number, max: number) =>
  z.preprocess(
    emptyToUndefined,
    z
      .string()
      .regex(/^\d+$/, 'must be a whole number in plain decimal digits')
      .optional()
      .transform((v) => (v === undefined ? fallback : Number(v)))
      .pipe(z.number().min(min).max(max)),
  );
const percent = (fallback: number) =>
  z.preprocess(
    emptyToUndefined,
    z
      .string()
      .regex(/^\d+(\.\d+)?$/, 'must be a plain decimal number')
      .optional()
      .transform((v) => (v === undefined ? fallback : Number(v)))
      .pipe(z.number().min(0).max(100)),
  );
const url = z.preprocess(
  emptyToUndefined,
  z.url({ protocol: /^https?$/, message: 'must be an http(s) URL' }).optional(),
);
const csv = z.preprocess(
  emptyToUndefined,
  z
    .string()
    .optional()
    .transform((v) =>
      (v ?? '')
        .split(',')
        .map((s) => s.trim())
        .filter(Boolean),
    ),
);
const cronExpression = (fallback: string) =>
  z.preprocess(
    emptyToUndefined,
    z
      .string()
      .default(fallback)
      .superRefine((v, ctx) => {
        // The scheduler's own parser decides, so a value that starts also fires and catches up.
        const problem = cronExpressionProblem(v);
        if (problem) ctx.addIssue({ code: 'custom', message: problem });
      }),
  );

export const SIMULATED_PROFILES = ['ideal', 'demo', 'flaky', 'outage'] as const;
export type SimulatedProfile = (typeof SIMULATED_PROFILES)[number];

const DEFAULT_MODELS: Record<ProviderName, string> = {
  openai: 'gpt-4o-mini',
  anthropic: 'claude-haiku-4-5',
  gemini: 'gemini-2.5-flash',
  perplexity: 'sonar',
};
const DEFAULT_RPM: Record<ProviderName, number> = { openai: 500, anthropic: 50, gemini: 300, perplexity: 50 };

const providerFields = Object.fromEntries(
  PROVIDER_NAMES.flatMap((name) => {
    const p = name.toUpperCase();
    return [
      [`${p}_API_KEY`, optionalString],
      [`${p}_BASE_URL`, url],
      [`${p}_MODEL`, optionalString],
      [`${p}_MAX_OUTPUT_TOKENS`, int(1024, 1, 200_000)],
      [`${p}_RPM`, int(DEFAULT_RPM[name], 1, 1_000_000)],
      [`${p}_TPM`, int(0, 0, 100_000_000)],
      [`${p}_MAX_CONCURRENCY`, int(8, 1, 1000)],
    ];
  }),
) as Record<string, z.ZodType>;

const schema = z.object({
  NODE_ENV: optionalString,
  DATABASE_URL: z.preprocess(
    emptyToUndefined,
    z
      .string()
      .regex(/^postgres(ql)?:\/\//, 'must be a postgres:// URL')
      .optional(),
  ),
  PGLITE_DIR: z.preprocess(emptyToUndefined, z.string().default('.data/pglite')),
  DB_POOL_SIZE: int(10, 1, 500),
  DB_STATEMENT_TIMEOUT_MS: int(30_000, 100, 3_600_000),
  SLACK_BOT_TOKEN: optionalString,
  SLACK_SIGNING_SECRET: optionalString,
  SLACK_APP_TOKEN: optionalString,
  SLACK_API_URL: url,
  SLACK_REPORT_CHANNEL: optionalString,
  SLACK_ADMIN_USERS: csv,
  SLACK_ADMIN_USERGROUP: optionalString,
  PORT: int(3000, 0, 65_535),
  CRON_SECRET: z.preprocess(
    emptyToUndefined,
    z.string().min(16, 'must be at least 16 characters (openssl rand -hex 32 makes one)').optional(),
  ),
  SCHED_TIMEZONE: z.preprocess(
    emptyToUndefined,
    z
      .string()
      .default('America/New_York')
      .refine((v) => IANAZone.isValidZone(v), 'must be an IANA time zone such as America/New_York'),
  ),
  TRIGGER_CRON: cronExpression('0 3 * * *'),
  RECONCILER_CRON: cronExpression('*/5 * * * *'),
  POSTCHECK_CRON: cronExpression('0 4 * * *'),
  HEALTH_PROMPT_THRESHOLD: percent(95),
  HEALTH_ORG_THRESHOLD: percent(95),
  SIMULATED_PROFILE: z.preprocess(
    emptyToUndefined,
    z.enum(SIMULATED_PROFILES, { message: `must be one of ${SIMULATED_PROFILES.join(', ')}` }).optional(),
  ),
  WORKER_CONCURRENCY: int(8, 1, 1000),
  WORKER_LEASE_SECONDS: int(120, 5, 86_400),
  TASK_MAX_ATTEMPTS: int(3, 1, 20),
  PROVIDER_TIMEOUT_MS: int(60_000, 100, 600_000),
  AUTO_REPAIR: bool(false),
  RUNBOOK_URL: z.preprocess(
    emptyToUndefined,
    z.url({ protocol: /^https?$/, message: 'must be an http(s) URL' }).optional(),
  ),
  BACKFILL_DAYS: int(7, 0, 365),
  LOG_LEVEL: z.preprocess(
    emptyToUndefined,
    z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  ),
  ...providerFields,
});

export interface ProviderConfig {
  name: ProviderName;
  apiKey: string | undefined;
  baseUrl: string | undefined;
  model: string;
  maxOutputTokens: number;
  rpm: number;
  /** Tokens per minute; 0 means no token limit is enforced locally. */
  tpm: number;
  maxConcurrency: number;
}

export interface Config {
  databaseUrl: string | undefined;
  pgliteDir: string;
  dbPoolSize: number;
  dbStatementTimeoutMs: number;
  slack: {
    botToken: string | undefined;
    signingSecret: string | undefined;
    appToken: string | undefined;
    apiUrl: string | undefined;
    reportChannel: string | undefined;
    adminUsers: string[];
    adminUsergroup: string | undefined;
  };
  port: number;
  cronSecret: string | undefined;
  timezone: string;
  cron: { trigger: string; reconciler: string; postcheck: string };
  thresholds: { promptPercent: number; orgPercent: number };
  simulatedProfile: SimulatedProfile | undefined;
  worker: { concurrency: number; leaseSeconds: number; maxAttempts: number; providerTimeoutMs: number };
  autoRepair: boolean;
  /** The team's runbook: linked from the morning report and /sched-status when set. */
  runbookUrl: string | undefined;
  /** How many days back `trigger --date` (and manual-run) may run a night that never ran. */
  backfillDays: number;
  logLevel: string;
  providers: Record<ProviderName, ProviderConfig>;
}

/** true when the bot has what it needs to talk to a real Slack workspace. */
export const hasSlackCredentials = (config: Config) =>
  Boolean(config.slack.botToken && config.slack.signingSecret);

/** Validates the environment; a bad value throws one line naming the variable and what is wrong. */
export function loadConfig(env: Record<string, string | undefined> = process.env): Config {
  const parsed = schema.safeParse(env);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`);
    throw new SchedError('config', `Invalid configuration: ${lines.join('; ')}`);
  }
  const e = parsed.data as Record<string, unknown> & z.infer<typeof schema>;
  const providers = Object.fromEntries(
    PROVIDER_NAMES.map((name) => {
      const p = name.toUpperCase();
      const provider: ProviderConfig = {
        name,
        apiKey: e[`${p}_API_KEY`] as string | undefined,
        baseUrl: e[`${p}_BASE_URL`] as string | undefined,
        model: (e[`${p}_MODEL`] as string | undefined) ?? DEFAULT_MODELS[name],
        maxOutputTokens: e[`${p}_MAX_OUTPUT_TOKENS`] as number,
        rpm: e[`${p}_RPM`] as number,
        tpm: e[`${p}_TPM`] as number,
        maxConcurrency: e[`${p}_MAX_CONCURRENCY`] as number,
      };
      return [name, provider];
    }),
  ) as Record<ProviderName, ProviderConfig>;

  return {
    databaseUrl: e.DATABASE_URL,
    pgliteDir: e.PGLITE_DIR,
    dbPoolSize: e.DB_POOL_SIZE,
    dbStatementTimeoutMs: e.DB_STATEMENT_TIMEOUT_MS,
    slack: {
      botToken: e.SLACK_BOT_TOKEN,
      signingSecret: e.SLACK_SIGNING_SECRET,
      appToken: e.SLACK_APP_TOKEN,
      apiUrl: e.SLACK_API_URL,
      reportChannel: e.SLACK_REPORT_CHANNEL,
      adminUsers: e.SLACK_ADMIN_USERS,
      adminUsergroup: e.SLACK_ADMIN_USERGROUP,
    },
    port: e.PORT,
    cronSecret: e.CRON_SECRET,
    timezone: e.SCHED_TIMEZONE,
    cron: { trigger: e.TRIGGER_CRON, reconciler: e.RECONCILER_CRON, postcheck: e.POSTCHECK_CRON },
    thresholds: { promptPercent: e.HEALTH_PROMPT_THRESHOLD, orgPercent: e.HEALTH_ORG_THRESHOLD },
    // The local console (no Slack, embedded database) defaults to `demo`; with Slack credentials or
    // a real database a profile is never implied, so production cannot report simulated answers.
    simulatedProfile:
      e.SIMULATED_PROFILE ??
      (!e.DATABASE_URL && !(e.SLACK_BOT_TOKEN && e.SLACK_SIGNING_SECRET) ? 'demo' : undefined),
    worker: {
      concurrency: e.WORKER_CONCURRENCY,
      leaseSeconds: e.WORKER_LEASE_SECONDS,
      maxAttempts: e.TASK_MAX_ATTEMPTS,
      providerTimeoutMs: e.PROVIDER_TIMEOUT_MS,
    },
    autoRepair: e.AUTO_REPAIR,
    runbookUrl: e.RUNBOOK_URL,
    backfillDays: e.BACKFILL_DAYS,
    logLevel: e.LOG_LEVEL,
    providers,
  };
}
