import { randomBytes } from 'node:crypto';
import { LocalWebApi } from './local-web-api.ts';
import { type SlackHttpResponse, type SlackRequest, sendSigned } from './sign-request.ts';

/**
 * The local console's Slack: a loopback stand-in of the Web API that the Bolt app talks to, and
 * signed requests to the app's /slack/events, exactly as a workspace would send them. The secret
 * and the token are random per start and never leave this process.
 */

/** The console user: an admin of the local workspace, so Repair and Rerun work. */
export const CONSOLE_USER = 'U0CONSOLE1';
/** The channel the console types its commands in. */
export const CONSOLE_CHANNEL = 'C0CONSOLE1';
/** Where the morning report goes when SLACK_REPORT_CHANNEL is unset. */
export const LOCAL_REPORT_CHANNEL = 'C0REPORTS1';

export interface LocalSlack {
  api: LocalWebApi;
  botToken: string;
  signingSecret: string;
  /** Set once the app listens: the /slack/events URL on loopback. */
  setAppUrl(url: string): void;
  send(request: SlackRequest): Promise<SlackHttpResponse>;
  stop(): Promise<void>;
}

export async function startLocalSlack(options: { clock: () => Date }): Promise<LocalSlack> {
  const botToken = `xoxb-local-${randomBytes(12).toString('hex')}`;
  const signingSecret = randomBytes(24).toString('hex');
  const api = new LocalWebApi({ token: botToken, clock: options.clock });
  await api.start();
  let eventsUrl: string | undefined;
  return {
    api,
    botToken,
    signingSecret,
    setAppUrl(url) {
      eventsUrl = url;
    },
    send(request) {
      if (!eventsUrl) throw new Error('the local Slack app is not listening yet');
      return sendSigned(eventsUrl, request, { signingSecret });
    },
    stop: () => api.stop(),
  };
}
