import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildCommand } from '../../src/console/sign-request.ts';
import { openDatabase } from '../../src/db/client.ts';
import { runDateOf } from '../../src/time/business-day.ts';
import { cliEnvironment, sched } from '../support/cli.ts';
import { backends, type TestDatabase } from '../support/db.ts';
import {
  ADMIN,
  nightWithFailures,
  OUTSIDER,
  REPORT_CHANNEL,
  type SlackHarness,
  startSlackHarness,
} from '../support/fake-slack.ts';
import { call, type OpsServer, startOpsServer } from '../support/ops-server.ts';
import { clockedDeps } from '../support/scheduler-deps.ts';
import { messageText } from '../support/slack-payloads.ts';

/** `sched audit` from each entry point: the CLI (exit codes), the cron endpoint, /sched-status audit. */

const SECRET = 'cron-secret-for-tests-3f9a';

describe.each(backends())('sched audit entry points on $name', (backend) => {
  describe('CLI', () => {
    let env: Record<string, string | undefined>;
    let close: () => Promise<void>;

    beforeAll(async () => {
      ({ env, close } = await cliEnvironment(backend, { SIMULATED_PROFILE: 'ideal' }));
      expect((await sched(['seed', '--demo'], env)).code).toBe(0);
      expect((await sched(['trigger'], env)).code).toBe(0);
    }, 300_000);
    afterAll(() => close());

    it('exits 0 on books that hold, 2 on usage errors', async () => {
      const clean = await sched(['audit'], env);
      expect(clean.stderr).toBe('');
      expect(clean.stdout).toMatch(/^OK: every invariant holds/);
      expect(clean.code).toBe(0);
      expect((await sched(['audit', '--date', '2026-02-30'], env)).code).toBe(2);
      expect((await sched(['audit', '--date', '2026-01-01', '--days', '3'], env)).code).toBe(2);
      expect((await sched(['audit', '--days', '0'], env)).code).toBe(2);
      expect((await sched(['audit', '--date', '2999-01-01'], env)).code).toBe(2);
    });

    it('exits 1 with the rows of a violation, and --json carries them', async () => {
      const database = await openDatabase({ url: env.DATABASE_URL, pgliteDir: env.PGLITE_DIR });
      try {
        await database.db.execute(
          sql`update batch_tasks set attempts = max_attempts + 1
              where id = (select id from batch_tasks order by id limit 1)`,
        );
      } finally {
        await database.close();
      }
      const text = await sched(['audit'], env);
      expect(text.code).toBe(1);
      expect(text.stdout).toMatch(
        /\[attempts_over_max\] 1 task\(s\) of \d{4}-\d{2}-\d{2} used more attempts/,
      );
      expect(text.stdout).toMatch(
        /task_id=\d+ org_id=\S+ prompt_id=\S+ provider=\w+ attempts=4 max_attempts=3/,
      );
      const json = await sched(['audit', '--json'], env);
      expect(json.code).toBe(1);
      const parsed = JSON.parse(json.stdout);
      expect(parsed.ok).toBe(false);
      expect(parsed.violations[0]).toMatchObject({ check: 'attempts_over_max', count: 1, fixable: false });
    });
  });

  describe('HTTP', () => {
    let database: TestDatabase;
    let server: OpsServer;

    beforeAll(async () => {
      database = await backend.create();
      const deps = clockedDeps(database.db, '2026-03-02T15:00:00Z', { CRON_SECRET: SECRET });
      await nightWithFailures(deps, '2026-03-02');
      server = await startOpsServer(deps);
    });
    afterAll(async () => {
      await server?.close();
      await database?.close();
    });

    it('answers the audit JSON with the secret, 401 without, 400 on a bad date', async () => {
      const url = `${server.url}/functions/v1/scheduler-audit?date=2026-03-02`;
      expect((await call(url)).status).toBe(401);
      expect((await call(url, { secret: 'wrong-secret-of-some-length' })).status).toBe(401);
      const ok = await call(url, { secret: SECRET });
      expect(ok.status).toBe(200);
      expect(ok.json).toMatchObject({ ok: true, runDates: ['2026-03-02'], violations: [] });
      const bad = await call(`${server.url}/functions/v1/scheduler-audit?date=yesterday`, { secret: SECRET });
      expect(bad.status).toBe(400);
    });
  });

  describe('Slack', () => {
    let database: TestDatabase;
    let h: SlackHarness;
    let seq = 0;

    async function command(text: string, userId: string) {
      const responseId = `audit${++seq}`;
      const res = await h.send(
        buildCommand({ command: '/sched-status', text, userId, responseUrl: h.api.responseUrl(responseId) }),
      );
      expect(res.status).toBe(200);
      return h.api.waitFor((c) => c.responseId === responseId);
    }

    beforeAll(async () => {
      database = await backend.create();
      h = await startSlackHarness(database.db);
      const runDate = runDateOf(h.deps.clock(), h.deps.config.timezone);
      await nightWithFailures(h.deps, runDate);
      // The report the postcheck would have posted: without it the audit rightly says it is missing.
      await database.db.execute(
        sql`insert into slack_reports (run_date, channel, ts) values (${runDate}::date, ${REPORT_CHANNEL}, '1.1')
            on conflict do nothing`,
      );
    });
    afterAll(async () => {
      await h?.stop();
      await database?.close();
    });

    it('/sched-status audit answers an admin with the verdict and refuses anyone else', async () => {
      const answer = await command('audit', ADMIN);
      expect(messageText(answer.body)).toMatch(/Audit: every invariant holds for the night of/);
      await database.db.execute(
        sql`update batch_jobs set failed_tasks = failed_tasks + 7
            where id = (select id from batch_jobs order by id limit 1)`,
      );
      const broken = await command('AUDIT', ADMIN);
      expect(messageText(broken.body)).toMatch(/❌ Audit: 1 violation/);
      expect(messageText(broken.body)).toMatch(/job_counts_wrong/);
      const refused = await command('audit', OUTSIDER);
      expect(messageText(refused.body)).not.toMatch(/Audit/);
      expect(messageText(refused.body)).toMatch(/audit the books/);
    });
  });
});
