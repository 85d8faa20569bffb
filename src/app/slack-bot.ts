import type { Deps } from '../context.ts';
import { toError } from '../errors.ts';
import { registerListeners } from '../listeners/index.ts';
import type { SlackDeps } from '../listeners/slack-deps.ts';
import { createRepairRunner, type RepairRunnerOptions } from '../report/repair-runner.ts';
import type { StepDeps } from '../scheduler/night-reporter.ts';
import { postDueReports } from '../scheduler/refresh-night.ts';
import { createAccessChecker } from '../slack/access.ts';
import { createSlackApp, type SlackApp, type SlackAppOptions } from '../slack/app.ts';
import type { SlackLink } from '../slack/slack-link.ts';

/**
 * The Slack app with its handlers: the transport from src/slack, the two helpers that live as
 * long as the app (the admin-group cache and the repairs being watched), and every command and
 * action registered with the same SlackDeps.
 */

export interface SlackBotOptions extends SlackAppOptions {
  repair?: RepairRunnerOptions;
  /** How long the admin user group's members are cached. */
  accessCacheMs?: number;
}

export interface SlackBot extends SlackApp {
  deps: SlackDeps;
}

export function createSlackBot(deps: Deps, options: SlackBotOptions): SlackBot {
  const slack = createSlackApp(deps, options);
  const client = slack.app.client;
  const slackDeps: SlackDeps = {
    ...deps,
    access: createAccessChecker(
      { client, logger: deps.logger, clock: deps.clock },
      { policy: deps.config.slack, cacheMs: options.accessCacheMs },
    ),
    repairs: createRepairRunner({ ...deps, client }, options.repair),
  };
  registerListeners(slack.app, slackDeps);
  return {
    ...slack,
    deps: slackDeps,
    async stop() {
      await slackDeps.repairs.stop();
      await slack.stop();
    },
  };
}

/**
 * Slack unreachable at start is not fatal: the link checks it in the background (/healthz), and
 * once Slack answers again the reports it missed are posted.
 */
export function postMissedReportsWhenSlackIsBack(deps: StepDeps & { link: SlackLink }): void {
  deps.link.onSlackBack(() =>
    postDueReports(deps).then(
      (posted) =>
        posted.length > 0 && deps.logger.info({ runDates: posted }, 'Slack is back: missed reports posted'),
      (error: unknown) =>
        deps.logger.error({ err: toError(error) }, 'Slack is back, but the missed reports failed'),
    ),
  );
}
