import { readFileSync } from 'node:fs';
import { webApi } from '@slack/bolt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSlackBot } from '../../src/app/slack-bot.ts';
import {
  CONSOLE_USER,
  LOCAL_REPORT_CHANNEL,
  type LocalSlack,
  startLocalSlack,
} from '../../src/console/local-slack.ts';
import { ConsoleSession } from '../../src/console/session.ts';
import type { Deps } from '../../src/context.ts';
import type { CoverageReport } from '../../src/coverage/types.ts';
import { silentLogger } from '../../src/logger.ts';
import { slackNightReporter } from '../../src/report/slack-night-reporter.ts';
import { EVENTS_PATH, type SlackApp } from '../../src/slack/app.ts';
import { runDateOf } from '../../src/time/business-day.ts';
import { backends, type TestDatabase } from '../support/db.ts';
import { harnessConfig, nightWithFailures } from '../support/fake-slack.ts';
import { decodePng } from '../support/png.ts';
import { until } from '../support/slack-payloads.ts';

/**
 * The local console cannot show an image: when the bot shares the chart (/sched-history chart,
 * or in the morning report's thread) it writes the PNG to a temp file and prints the path.
 */
describe.each(backends())('the coverage chart in the local console on $name', (backend) => {
  let database: TestDatabase;
  let local: LocalSlack;
  let slack: SlackApp;
  let deps: Deps;
  let session: ConsoleSession;
  let report: CoverageReport;
  const printed: string[] = [];

  const savedPath = (from: number) => {
    const line = printed.slice(from).find((p) => p.includes('saved to '));
    return line && /saved to (\S+\.png)/.exec(line)?.[1];
  };

  beforeAll(async () => {
    database = await backend.create();
    local = await startLocalSlack({ clock: () => new Date() });
    const config = harnessConfig(local.api.url, {
      SLACK_REPORT_CHANNEL: LOCAL_REPORT_CHANNEL,
      SLACK_ADMIN_USERS: CONSOLE_USER,
    });
    deps = { db: database.db, config, logger: silentLogger(), clock: () => new Date() };
    slack = createSlackBot(deps, {
      botToken: local.botToken,
      signingSecret: local.signingSecret,
      apiUrl: local.api.url,
      port: 0,
      host: '127.0.0.1',
    });
    const { port } = await slack.start();
    local.setAppUrl(`http://127.0.0.1:${port}${EVENTS_PATH}`);
    session = new ConsoleSession(
      local,
      { print: (text) => printed.push(text), ask: async () => 'n' },
      { timeZone: config.timezone, reportChannel: LOCAL_REPORT_CHANNEL, bold: 'strip' },
    );
    session.attach();
    ({ report } = await nightWithFailures(deps, runDateOf(deps.clock(), config.timezone)));
  });
  afterAll(async () => {
    await slack?.stop();
    await local?.stop();
    await database?.close();
  });

  it('/sched-history chart: prints where it saved the PNG the bot shared', async () => {
    const from = printed.length;
    await session.command('/sched-history', 'chart');
    await until(async () => savedPath(from) !== undefined);
    const text = printed.slice(from).join('\n');
    expect(text).toContain('sched-bot shared a file in #C0CONSOLE1');
    expect(text).toMatch(
      /Coverage per provider, (one night|last \d+ nights): the console cannot show images/,
    );
    const png = decodePng(readFileSync(String(savedPath(from))));
    expect([png.width, png.height]).toEqual([1600, 800]);
  });

  it("the morning report's chart: prints that it went in the report's thread, and where it is saved", async () => {
    const from = printed.length;
    const client = new webApi.WebClient(local.botToken, {
      slackApiUrl: local.api.url,
      retryConfig: { retries: 0 },
    });
    await slackNightReporter({ ...deps, client }).publish(report.runDate, report);
    await until(async () => savedPath(from) !== undefined);
    expect(printed.slice(from).join('\n')).toContain(
      "sched-bot shared a file in #C0REPORTS1 (report channel), in its message's thread",
    );
  });
});
