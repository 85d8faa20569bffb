import type { App } from '@slack/bolt';
import { registerActions } from './actions/index.ts';
import { registerCommands } from './commands/index.ts';
import { registerEvents } from './events/index.ts';
import { registerOptions } from './options/index.ts';
import type { SlackDeps } from './slack-deps.ts';
import { registerViews } from './views/index.ts';

/**
 * Every listener of the Slack app, by the kind of request Slack sends: commands, actions, views
 * (modal submissions), events and options (typeaheads), one folder each with its own index.ts.
 * Ids live in src/blocks/ids.ts. A handler is named after its file and its kind:
 * `<file>Command`, `<file>Action`, `<file>View`, `<file>Event`, `<file>Options`.
 */
export function registerListeners(app: App, deps: SlackDeps): void {
  registerCommands(app, deps);
  const actions = registerActions(app, deps);
  const views = registerViews(app, deps);
  const options = registerOptions(app, deps);
  registerEvents(app, deps);

  // What no listener above takes (a button of an old message, an input element Slack dispatched
  // anyway, a modal closed) is acknowledged at once: Bolt would leave it to its 3 s timeout,
  // answer 404 and log an error, and Slack would show the user a warning.
  const unknown =
    (kind: string) =>
    async ({ ack }: { ack: () => Promise<void> }) => {
      await ack();
      deps.logger.debug({ kind }, 'acknowledged a Slack request that no listener takes');
    };
  app.action(unlessOneOf(actions), unknown('action'));
  app.view({ callback_id: unlessOneOf(views), type: 'view_submission' }, unknown('view'));
  app.view({ callback_id: /.*/, type: 'view_closed' }, unknown('view_closed'));
  app.options(unlessOneOf(options), async ({ ack }) => {
    await ack({ options: [] });
  });
  app.shortcut(/.*/, unknown('shortcut'));
}

/** A pattern that matches every id the given ids and patterns do not. */
export function unlessOneOf(patterns: readonly (string | RegExp)[]): RegExp {
  const literal = (id: string) => id.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  const lookaheads = patterns.map((p) => `(?!${typeof p === 'string' ? `${literal(p)}$` : p.source})`);
  return new RegExp(`^${lookaheads.join('')}`);
}
