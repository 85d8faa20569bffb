import type { App, Middleware, SlackCommandMiddlewareArgs } from '@slack/bolt';
import { COMMANDS, type SlashCommand } from '../../blocks/ids.ts';
import type { SlackDeps } from '../slack-deps.ts';
import { schedHistoryCommand } from './sched-history.ts';
import { schedRerunCommand } from './sched-rerun.ts';
import { schedSnoozeCommand } from './sched-snooze.ts';
import { schedStatusCommand } from './sched-status.ts';

/** The one place where slash command names meet their handlers (manifest.yml declares the same). */
export const COMMAND_HANDLERS: Record<
  SlashCommand,
  (deps: SlackDeps) => Middleware<SlackCommandMiddlewareArgs>
> = {
  [COMMANDS.status]: schedStatusCommand,
  [COMMANDS.rerun]: schedRerunCommand,
  [COMMANDS.history]: schedHistoryCommand,
  [COMMANDS.snooze]: schedSnoozeCommand,
};

/** Registers every command; returns the names, as the manifest test compares them. */
export function registerCommands(app: App, deps: SlackDeps): SlashCommand[] {
  const names = Object.keys(COMMAND_HANDLERS) as SlashCommand[];
  for (const name of names) app.command(name, COMMAND_HANDLERS[name](deps));
  return names;
}
