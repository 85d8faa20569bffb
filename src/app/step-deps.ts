import { slackNightReporter, webClientFor } from '../report/slack-night-reporter.ts';
import type { StepDeps } from '../scheduler/night-reporter.ts';
import type { Runtime } from './runtime.ts';

/**
 * The deps of a step run from the CLI: with SLACK_BOT_TOKEN a Web API client (no Bolt app) so the
 * step posts and edits the morning report as `serve` would; without it, no reporter, and the
 * step's outcome says in plain words that nothing was posted.
 */
export async function cliStepDeps(rt: Runtime): Promise<StepDeps> {
  const client = await webClientFor(rt.config);
  return client ? { ...rt, reporter: slackNightReporter({ ...rt, client }) } : { ...rt };
}
