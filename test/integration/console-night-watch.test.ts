import { webApi } from '@slack/bolt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LocalWebApi } from '../../src/console/local-web-api.ts';
import { consoleOperations } from '../../src/console/operations.ts';
import { systemClock } from '../../src/context.ts';
import { silentLogger } from '../../src/logger.ts';
import { PROVIDER_NAMES } from '../../src/provider-names.ts';
import { createProviderAdapters } from '../../src/providers/registry.ts';
import { slackNightReporter } from '../../src/report/slack-night-reporter.ts';
import { startWorker } from '../../src/scheduler/worker.ts';
import { backends, type TestDatabase } from '../support/db.ts';
import { BOT_TOKEN, harnessConfig } from '../support/fake-slack.ts';
import { seedSmallDemo } from '../support/scheduler-deps.ts';

/**
 * The console's `night` on the demo profile configured to fail (SIMULATED_FAILING=perplexity:
 * Perplexity answers 40 % of its calls with a 500): while it waits for the night it looks at it as
 * the night watch does, so the local report channel gets Perplexity's early warning and the
 * progress lines carry the projected finish. The worker's adapters come from the same config.
 */
describe.each(backends())("the console's night watch on $name", (backend) => {
  let database: TestDatabase;
  let api: LocalWebApi;
  beforeAll(async () => {
    database = await backend.create();
    api = new LocalWebApi({ token: BOT_TOKEN });
    await api.start();
    await seedSmallDemo(database.db);
  });
  afterAll(async () => {
    await api?.stop();
    await database?.close();
  });

  it('night on the demo profile with a failing provider warns of it and prints the projection', async () => {
    const config = harnessConfig(api.url, {
      SIMULATED_PROFILE: 'demo',
      SIMULATED_FAILING: 'perplexity',
      EARLY_WARNING_MIN_CALLS: '10',
    });
    const deps = { db: database.db, config, logger: silentLogger(), clock: systemClock };
    const client = new webApi.WebClient(BOT_TOKEN, { slackApiUrl: api.url, retryConfig: { retries: 0 } });
    const worker = startWorker(deps, { adapters: createProviderAdapters(config), concurrency: 8 });
    const lines: string[] = [];
    try {
      const operations = consoleOperations({
        ...deps,
        reporter: slackNightReporter({ ...deps, client }),
        signal: new AbortController().signal,
        providers: PROVIDER_NAMES,
      });
      await operations.night?.run([], (line) => lines.push(line));
    } finally {
      await worker.stop();
    }
    const warnings = api
      .callsTo('chat.postMessage')
      .map((c) => String(c.body.text))
      .filter((text) => /⚠️ \*\w+\*(?: is failing again)?: \d+% of the last \d+ calls failed/.test(text));
    // Perplexity's warning, once; the demo profile's rare errors warn of no other provider.
    expect(warnings.map((w) => /\*(\w+)\*/.exec(w)?.[1])).toEqual(['Perplexity']);
    expect(lines.join('\n')).toMatch(
      /At the current pace: \d\d:\d\d|Will not finish before|No projected finish yet/,
    );
  }, 300_000);
});
