import type { App, Middleware, SlackCommandMiddlewareArgs } from '@slack/bolt';
import { COMMANDS, type SlashCommand } from '../views/ids.ts';
import { schedHistory } from './sched-history.ts';
import { schedRerun } from './sched-rerun.ts';
import { schedStatus } from './sched-status.ts';
import type { SlackDeps } from './slack-deps.ts';

/** The one place where slash command names meet their handlers (manifest.yml declares the same). */
export const COMMAND_HANDLERS: Record<
  SlashCommand,
  (deps: SlackDeps) => Middleware<SlackCommandMiddlewareArgs>
> = {
  [COMMANDS.status]: schedStatus,
  [COMMANDS.rerun]: schedRerun,
  [COMMANDS.history]: schedHistory,
};

/** Registers every command; returns the names, as the manifest test compares them. */
export function registerCommands(app: App, deps: SlackDeps): SlashCommand[] {
  const names = Object.keys(COMMAND_HANDLERS) as SlashCommand[];
  for (const name of names) app.command(name, COMMAND_HANDLERS[name](deps));
  return names;
}
