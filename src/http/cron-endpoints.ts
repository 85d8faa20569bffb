import type { IncomingMessage } from 'node:http';
import { auditRunDates } from '../audit/audit-dates.ts';
import { runAudit } from '../audit/run-audit.ts';
import { usageError } from '../errors.ts';
import type { Metrics } from '../metrics/metrics.ts';
import { assertKnownProvider, isUnitScope, UNIT_SCOPES } from '../queue/run-scope.ts';
import { runManualDaily } from '../scheduler/manual-run.ts';
import type { StepDeps } from '../scheduler/night-reporter.ts';
import type { PostcheckResult } from '../scheduler/postcheck.ts';
import { postcheckStep } from '../scheduler/postcheck-step.ts';
import { runReconciler } from '../scheduler/reconciler.ts';
import type { RepairScope } from '../scheduler/repair.ts';
import { runTrigger, type TriggerResult } from '../scheduler/trigger.ts';
import { FUNCTION_NAMES } from '../store/scheduler-runs.ts';
import { parseRunDate, runDateOf } from '../time/business-day.ts';
import { checkCronSecret } from './cron-secret.ts';
import {
  bodyTooLarge,
  declaresTooLarge,
  type HttpRoute,
  queryOf,
  readBody,
  refuse,
  sendJson,
} from './respond.ts';

/**
 * The seed's cron endpoints, for external schedulers (`curl -X POST .../functions/v1/<name>
 * -H "x-cron-secret: $CRON_SECRET"`). The secret is checked before anything touches the
 * database or the body, so a bad caller leaves no scheduler_runs row and costs no reading. Success is 200 with the step's JSON;
 * every failure is a real HTTP error with a JSON body.
 */

export interface CronDeps extends StepDeps {
  metrics: Metrics;
  /** Called after each postcheck step (which has already posted or edited the report). */
  onPostcheck?: ((result: PostcheckResult) => Promise<void>) | undefined;
}

export const CRON_PATH_PREFIX = '/functions/v1/';
const TRIGGERED_BY = 'cron-endpoint';

/** `?date=YYYY-MM-DD` replays a past business day; today's in SCHED_TIMEZONE by default. */
function runDateParam(req: IncomingMessage, deps: CronDeps): string {
  const value = queryOf(req).get('date');
  if (value === null || value === '') return runDateOf(deps.clock(), deps.config.timezone);
  const parsed = parseRunDate(value);
  if (!parsed)
    throw usageError(`date must be a real calendar date as YYYY-MM-DD, not "${value.slice(0, 40)}"`);
  return parsed;
}

/**
 * `&scope=missing|failed|all&provider=P` narrow `?repair=true` (run-scope.ts); a bad value is a
 * 400, and so is either without `?repair=true` (it would otherwise be ignored without a word).
 */
function repairScopeParam(req: IncomingMessage, repair: boolean): RepairScope | undefined {
  const query = queryOf(req);
  const units = query.get('scope');
  const provider = query.get('provider');
  if (units === null && provider === null) return undefined;
  if (!repair) throw usageError('scope and provider narrow a repair: add repair=true');
  if (units !== null && !isUnitScope(units))
    throw usageError(`scope must be one of ${UNIT_SCOPES.join(', ')}, not "${units.slice(0, 40)}"`);
  assertKnownProvider(provider ?? undefined);
  return { units: units ?? 'missing', provider: provider ?? undefined };
}

const isTrue = (value: string | null) => value !== null && ['true', '1', 'yes'].includes(value.toLowerCase());

type Step = (req: IncomingMessage, deps: CronDeps) => Promise<unknown>;

const STEPS: Record<string, Step> = {
  [FUNCTION_NAMES.trigger]: (req, deps) =>
    runTrigger(deps, { runDate: runDateParam(req, deps), triggeredBy: TRIGGERED_BY, scheduled: true }),

  [FUNCTION_NAMES.reconciler]: (_req, deps) => runReconciler(deps, { triggeredBy: TRIGGERED_BY }),

  [FUNCTION_NAMES.postcheck]: async (req, deps) => {
    const runDate = runDateParam(req, deps);
    const repair = isTrue(queryOf(req).get('repair'));
    const repairScope = repairScopeParam(req, repair);
    // Records, repairs (?repair=true or AUTO_REPAIR) and posts or edits the report: postcheck-step.ts.
    // A second fresh-answers repair of the night is refused (409) unless `confirm=true`.
    const confirmFresh = isTrue(queryOf(req).get('confirm'));
    const result = await postcheckStep(deps, {
      runDate,
      triggeredBy: TRIGGERED_BY,
      repair,
      repairScope,
      confirmFresh,
      howToConfirm: 'add `confirm=true`',
    });
    if (deps.onPostcheck) {
      await deps
        .onPostcheck(result)
        .catch((error: unknown) =>
          deps.logger.warn({ err: error, runDate, runId: result.runId }, 'onPostcheck failed'),
        );
    }
    const { autoRepair, published } = result;
    return {
      ...result.report,
      runId: result.runId,
      ...(result.repair ? { repair: result.repair } : {}),
      ...(autoRepair ? { autoRepair } : {}),
      slackReport: published,
    };
  },

  [FUNCTION_NAMES.manualRun]: (req, deps) =>
    runManualDaily(deps, { runDate: runDateParam(req, deps), triggeredBy: TRIGGERED_BY }),

  // `?date=D` or `?days=N`, `?fix=true`: the books of those nights; 200 with `ok` false on a violation.
  'scheduler-audit': (req, deps) => {
    const query = queryOf(req);
    const runDates = auditRunDates(
      { date: query.get('date') ?? undefined, days: query.get('days') ?? undefined },
      deps.clock(),
      deps.config.timezone,
    );
    return runAudit(deps, { runDates, fix: isTrue(query.get('fix')) });
  },
};

function isNothingEnqueued(body: unknown): body is TriggerResult & { status: 'nothing_enqueued' } {
  return (body as { status?: unknown } | null)?.status === 'nothing_enqueued';
}

export function cronRoutes(deps: CronDeps): HttpRoute[] {
  return Object.entries(STEPS).map(([name, step]) => ({
    path: `${CRON_PATH_PREFIX}${name}`,
    methods: ['POST'],
    async handler(req, res) {
      // The secret and the declared length come from the headers: a caller without the secret,
      // or with a body no step needs, is refused before a byte of the body is read.
      const check = checkCronSecret(deps.config.cronSecret, req.headers['x-cron-secret']);
      if (check === 'not_configured') {
        refuse(req, res, 503, {
          error: 'not_configured',
          message: 'CRON_SECRET is not set on this server, so the /functions/v1 endpoints are disabled',
        });
        return;
      }
      if (check !== 'ok') {
        deps.logger.warn({ step: name, reason: check }, 'cron endpoint refused: bad x-cron-secret');
        refuse(req, res, 401, { error: 'unauthorized', message: 'missing or wrong x-cron-secret header' });
        return;
      }
      if (declaresTooLarge(req) || (await readBody(req)) === undefined) {
        deps.logger.warn({ step: name }, 'cron endpoint refused: request body over the limit');
        refuse(req, res, 413, bodyTooLarge);
        return;
      }
      const body = await deps.metrics.timeStep(name, () => step(req, deps));
      deps.logger.info({ step: name, runId: (body as { runId?: unknown }).runId }, 'cron endpoint ran');
      if (isNothingEnqueued(body)) {
        // Not a success an external scheduler should file away: the night is not done.
        sendJson(res, 409, { error: 'nothing_enqueued', message: body.reason.message, ...body });
        return;
      }
      sendJson(res, 200, body);
    },
  }));
}
