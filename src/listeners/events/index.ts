import type { App } from '@slack/bolt';
import type { SlackDeps } from '../slack-deps.ts';
import { appHomeOpenedEvent } from './app-home-opened.ts';

/** Events API events, one file each, named `<file>Event`. */
export function registerEvents(app: App, deps: SlackDeps): void {
  app.event('app_home_opened', appHomeOpenedEvent(deps));
}
