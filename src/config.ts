import { IANAZone } from 'luxon';
import { z } from 'zod';
import { SchedError } from './errors.ts';
import { isProviderName, PROVIDER_NAMES, type ProviderName } from './provider-names.ts';
import { cronExpressionProblem } from './time/cron-matcher.ts';

/** Environment variables, validated once at start-up. `.env.example` lists them all. */

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
/** As `int`, but unset stays undefined: the feature it sets is off. */
const optionalInt = (min: number, max: number) =>
  z.preprocess(
    emptyToUndefined,
    z
      .string()
      .regex(/^\d+$/, 'must be a whole number in plain decimal digits')
      .transform(Number)
      .pipe(z.number().min(min).max(max))
      .optional(),
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
/** USD per million tokens: a plain non-negative decimal (`0.15`, `2.5`, `0`). */
const price = (fallback: number) =>
  z.preprocess(
    emptyToUndefined,
    z
      .string()
      .regex(/^\d+(\.\d+)?$/, 'must be a non-negative decimal number of USD per million tokens, such as 0.15')
      .optional()
      .transform((v) => (v === undefined ? fallback : Number(v))),
  );
/** A Slack user (U…, W…) or user group (S…) id: mentioned in the morning report's thread. */
const slackMentionId = z.preprocess(
  emptyToUndefined,
  z
    .string()
    .regex(/^[UWS][A-Z0-9]{2,}$/, 'must be a Slack user id (U… or W…) or user-group id (S…)')
    .optional(),
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
/**
 * List prices (USD per million tokens, standard tier) of the default models when this was
 * written: openai gpt-4o-mini 0.15 / 0.60, anthropic claude-haiku-4-5 1 / 5, gemini
 * gemini-2.5-flash 0.30 / 2.50, perplexity sonar 1 / 1 (its per-request fee is not counted).
 * Defaults to check against each vendor's price page, not a bill.
 */
export const DEFAULT_PRICES: Record<ProviderName, { in: number; out: number }> = {
  openai: { in: 0.15, out: 0.6 },
  anthropic: { in: 1, out: 5 },
  gemini: { in: 0.3, out: 2.5 },
  perplexity: { in: 1, out: 1 },
};
const DEFAULT_RPM: Record<ProviderName, number> = { openai: 500, anthropic: 50, gemini: 300, perplexity: 50 };

/** One provider's variables, read without their `<PROVIDER>_` prefix (errors put it back). */
const PROVIDER_KEYS = [
  'API_KEY',
  'BASE_URL',
  'MODEL',
  'MAX_OUTPUT_TOKENS',
  'RPM',
  'TPM',
  'MAX_CONCURRENCY',
  'PRICE_IN',
  'PRICE_OUT',
] as const;

const providerSchema = (name: ProviderName) =>
  z
    .object({
      API_KEY: optionalString,
      BASE_URL: url,
      MODEL: optionalString,
      MAX_OUTPUT_TOKENS: int(1024, 1, 200_000),
      RPM: int(DEFAULT_RPM[name], 1, 1_000_000),
      TPM: int(0, 0, 100_000_000),
      MAX_CONCURRENCY: int(8, 1, 1000),
      PRICE_IN: price(DEFAULT_PRICES[name].in),
      PRICE_OUT: price(DEFAULT_PRICES[name].out),
    })
    .transform((v) => ({
      name,
      apiKey: v.API_KEY,
      baseUrl: v.BASE_URL,
      model: v.MODEL ?? DEFAULT_MODELS[name],
      maxOutputTokens: v.MAX_OUTPUT_TOKENS,
      rpm: v.RPM,
      /** Tokens per minute; 0 means no token limit is enforced locally. */
      tpm: v.TPM,
      maxConcurrency: v.MAX_CONCURRENCY,
      /** USD per million tokens in and out: what the report, status and previews price calls at. */
      price: { in: v.PRICE_IN, out: v.PRICE_OUT },
    }));

export type ProviderConfig = z.output<ReturnType<typeof providerSchema>>;

const providersSchema = z.object({
  openai: providerSchema('openai'),
  anthropic: providerSchema('anthropic'),
  gemini: providerSchema('gemini'),
  perplexity: providerSchema('perplexity'),
} satisfies Record<ProviderName, unknown>);

/** The environment with each provider's variables gathered under `providers.<name>`. */
const withProviderGroups = (env: unknown) => {
  const vars = env as Record<string, string | undefined>;
  const group = (name: ProviderName) =>
    Object.fromEntries(PROVIDER_KEYS.map((key) => [key, vars[`${name.toUpperCase()}_${key}`]]));
  return { ...vars, providers: Object.fromEntries(PROVIDER_NAMES.map((name) => [name, group(name)])) };
};

const schema = z.preprocess(
  withProviderGroups,
  z
    .object({
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
      SLACK_TIMEOUT_MS: int(5_000, 100, 120_000),
      SLACK_REPORT_CHANNEL: optionalString,
      SLACK_ADMIN_USERS: csv,
      SLACK_ADMIN_USERGROUP: optionalString,
      SLACK_ONCALL: slackMentionId,
      PAGERDUTY_ROUTING_KEY: optionalString,
      PAGERDUTY_EVENTS_URL: z.preprocess(
        emptyToUndefined,
        z
          .url({ protocol: /^https?$/, message: 'must be an http(s) URL' })
          .default('https://events.pagerduty.com/v2/enqueue'),
      ),
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
      HEALTH_PROVIDER_THRESHOLD: percent(95),
      EARLY_WARNING_FAILURE_RATE: percent(20),
      EARLY_WARNING_MIN_CALLS: int(20, 1, 100_000),
      EARLY_WARNING_WINDOW_MINUTES: int(10, 1, 1440),
      EARLY_WARNING_WINDOW_CALLS: int(200, 1, 100_000),
      NIGHT_STALL_MINUTES: int(10, 1, 1440),
      LATE_FINISH_MARGIN_MINUTES: int(10, 0, 1440),
      NIGHT_WATCH_INTERVAL_SECONDS: int(60, 1, 3600),
      SIMULATED_PROFILE: z.preprocess(
        emptyToUndefined,
        z.enum(SIMULATED_PROFILES, { message: `must be one of ${SIMULATED_PROFILES.join(', ')}` }).optional(),
      ),
      // Simulated providers that fail: each answers about 40 % of its calls with HTTP 500, so the
      // console's night shows the night watch at work (early warnings) on the demo profile.
      SIMULATED_FAILING: csv.refine((names) => names.every(isProviderName), {
        message: `must be provider names, comma-separated: ${PROVIDER_NAMES.join(', ')}`,
      }),
      WORKER_CONCURRENCY: int(8, 1, 1000),
      WORKER_LEASE_SECONDS: int(120, 5, 86_400),
      TASK_MAX_ATTEMPTS: int(3, 1, 20),
      PROVIDER_TIMEOUT_MS: int(60_000, 100, 600_000),
      AUTO_REPAIR: bool(false),
      RUNBOOK_URL: url,
      HEARTBEAT_URL: url,
      BACKFILL_DAYS: int(7, 0, 365),
      QUEUE_RETENTION_DAYS: optionalInt(2, 36_500),
      RESPONSE_RETENTION_DAYS: optionalInt(2, 36_500),
      LOG_LEVEL: z.preprocess(
        emptyToUndefined,
        z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
      ),
      providers: providersSchema,
    })
    .transform((e) => ({
      databaseUrl: e.DATABASE_URL,
      pgliteDir: e.PGLITE_DIR,
      dbPoolSize: e.DB_POOL_SIZE,
      dbStatementTimeoutMs: e.DB_STATEMENT_TIMEOUT_MS,
      slack: {
        botToken: e.SLACK_BOT_TOKEN,
        signingSecret: e.SLACK_SIGNING_SECRET,
        appToken: e.SLACK_APP_TOKEN,
        apiUrl: e.SLACK_API_URL,
        /** How long one Web API request may take before it is given up (src/slack/web-client.ts). */
        timeoutMs: e.SLACK_TIMEOUT_MS,
        reportChannel: e.SLACK_REPORT_CHANNEL,
        adminUsers: e.SLACK_ADMIN_USERS,
        adminUsergroup: e.SLACK_ADMIN_USERGROUP,
        /** Mentioned once per night in the report's thread when something needs a person. */
        oncall: e.SLACK_ONCALL,
      },
      /** PagerDuty Events API v2: off without a routing key (a secret: never logged). */
      pagerDuty: { routingKey: e.PAGERDUTY_ROUTING_KEY, eventsUrl: e.PAGERDUTY_EVENTS_URL },
      port: e.PORT,
      cronSecret: e.CRON_SECRET,
      timezone: e.SCHED_TIMEZONE,
      cron: { trigger: e.TRIGGER_CRON, reconciler: e.RECONCILER_CRON, postcheck: e.POSTCHECK_CRON },
      thresholds: {
        promptPercent: e.HEALTH_PROMPT_THRESHOLD,
        orgPercent: e.HEALTH_ORG_THRESHOLD,
        /** Each provider's unit coverage: one provider down for every org is never healthy. */
        providerPercent: e.HEALTH_PROVIDER_THRESHOLD,
      },
      /** The night watch (early-warning.ts): warnings while a night runs, before the postcheck. */
      nightWatch: {
        /** A share in [0, 1]: final failures and retries over the window's calls. */
        failureRate: e.EARLY_WARNING_FAILURE_RATE / 100,
        minCalls: e.EARLY_WARNING_MIN_CALLS,
        windowMinutes: e.EARLY_WARNING_WINDOW_MINUTES,
        windowCalls: e.EARLY_WARNING_WINDOW_CALLS,
        stallMinutes: e.NIGHT_STALL_MINUTES,
        lateMarginMinutes: e.LATE_FINISH_MARGIN_MINUTES,
        intervalSeconds: e.NIGHT_WATCH_INTERVAL_SECONDS,
      },
      // The local console (no Slack, embedded database) defaults to `demo`; with Slack credentials
      // or a real database a profile is never implied, so production cannot report simulated answers.
      simulatedProfile:
        e.SIMULATED_PROFILE ??
        (!e.DATABASE_URL && !(e.SLACK_BOT_TOKEN && e.SLACK_SIGNING_SECRET) ? ('demo' as const) : undefined),
      simulatedFailing: e.SIMULATED_FAILING.filter(isProviderName),
      worker: {
        concurrency: e.WORKER_CONCURRENCY,
        leaseSeconds: e.WORKER_LEASE_SECONDS,
        maxAttempts: e.TASK_MAX_ATTEMPTS,
        providerTimeoutMs: e.PROVIDER_TIMEOUT_MS,
      },
      autoRepair: e.AUTO_REPAIR,
      /** The team's runbook: linked from the morning report and /sched-status when set. */
      runbookUrl: e.RUNBOOK_URL,
      /**
       * An outside dead man's switch (Healthchecks.io protocol): pinged when the trigger starts and
       * when the postcheck ends, so a night with no live instance is noticed. A secret: its path is
       * the check's token, so it is never logged (secrets.ts redacts `heartbeatUrl`).
       */
      heartbeatUrl: e.HEARTBEAT_URL,
      /** How many days back `trigger --date` (and manual-run) may run a night that never ran. */
      backfillDays: e.BACKFILL_DAYS,
      /**
       * Nights older than this many days lose their queue rows (task partition, jobs) once their
       * figures are recorded; unset keeps everything. Responses too with responseRetentionDays,
       * never before their night's queue rows.
       */
      queueRetentionDays: e.QUEUE_RETENTION_DAYS,
      responseRetentionDays: e.RESPONSE_RETENTION_DAYS,
      logLevel: e.LOG_LEVEL,
      providers: e.providers,
    })),
);

/** The configuration, typed from the schema that reads it. */
export type Config = z.output<typeof schema>;

/** `providers.openai.RPM` -> `OPENAI_RPM`: errors name the variable the user sets. */
const variableOf = (path: PropertyKey[]) =>
  path[0] === 'providers' ? `${String(path[1]).toUpperCase()}_${String(path[2])}` : path.join('.');

/** true when the bot has what it needs to talk to a real Slack workspace. */
export const hasSlackCredentials = (config: Config) =>
  Boolean(config.slack.botToken && config.slack.signingSecret);

/** Validates the environment; a bad value throws one line naming the variable and what is wrong. */
export function loadConfig(env: Record<string, string | undefined> = process.env): Config {
  const parsed = schema.safeParse(env);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((issue) => `${variableOf(issue.path)}: ${issue.message}`);
    throw new SchedError('config', `Invalid configuration: ${lines.join('; ')}`);
  }
  return parsed.data;
}
