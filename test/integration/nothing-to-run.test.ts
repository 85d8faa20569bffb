import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { historyMessage } from '../../src/blocks/history-message.ts';
import { homeView } from '../../src/blocks/home-view.ts';
import { reportMessage } from '../../src/blocks/report-message.ts';
import { statusMessage } from '../../src/blocks/status-message.ts';
import { formatCoverageReport } from '../../src/blocks/text-report.ts';
import { seedDemo } from '../../src/db/seed-demo.ts';
import { listHistory } from '../../src/scheduler/history.ts';
import { runPostcheck } from '../../src/scheduler/postcheck.ts';
import { backends, type TestDatabase, truncateAll } from '../support/db.ts';
import { clockedDeps } from '../support/scheduler-deps.ts';
import { visibleText } from '../support/view-inspect.ts';

/**
 * A night with nothing to run says so on every surface: an empty database (or one without an
 * active prompt) is HEALTHY with `summary.nothingToRun`, never "Healthy ... 100% (0/0)"; and a
 * night with every provider disabled reads its reason, never "Needs attention: 100% of prompts
 * covered (≥ 95%)".
 */

const RUN_DATE = '2026-03-02';
const NOW = new Date('2026-03-02T09:00:00Z');

describe.each(backends())('nothing to run on $name', (backend) => {
  let database: TestDatabase;
  beforeAll(async () => {
    database = await backend.create();
  });
  afterAll(() => database?.close());

  const surfaces = async () => {
    const deps = clockedDeps(database.db, NOW);
    const { report } = await runPostcheck(deps, { runDate: RUN_DATE, triggeredBy: 'test' });
    const nights = await listHistory(database.db, { days: 3, now: NOW, timezone: 'America/New_York' });
    const texts = {
      report: visibleText(reportMessage({ report, now: NOW })),
      status: visibleText(statusMessage({ report, now: NOW })),
      home: visibleText(homeView({ today: { runDate: RUN_DATE, report }, nights, now: NOW })),
      history: visibleText(historyMessage({ entries: nights, page: 0, pageSize: 3, totalDays: 3 })),
      cli: formatCoverageReport(report),
    };
    return { report, texts };
  };

  it('an empty database is healthy with nothing to run, and no surface says 100% (0/0)', async () => {
    await truncateAll(database);
    const { report, texts } = await surfaces();
    expect(report.summary).toMatchObject({ overallHealth: 'HEALTHY', nothingToRun: true, reasons: [] });
    for (const [surface, text] of Object.entries(texts)) {
      expect(text, surface).not.toMatch(/\(0\/0\)/);
      expect(text, surface).toMatch(/nothing to run/i);
    }
  });

  it('active prompts of orgs that are not eligible are nothing to run too', async () => {
    await truncateAll(database);
    await seedDemo(database.db, { orgs: 3, promptsPerOrg: 3 });
    await database.db.execute(sql`update organizations set subscription_status = 'canceled'`);
    const { report, texts } = await surfaces();
    expect(report.summary).toMatchObject({ overallHealth: 'HEALTHY', nothingToRun: true });
    expect(texts.report).toMatch(/Nothing to run/);
    expect(texts.report).not.toMatch(/\(0\/0\)/);
  });

  it('every provider disabled: the health sentence is its reason, not figures beside it', async () => {
    await truncateAll(database);
    await seedDemo(database.db, { orgs: 3, promptsPerOrg: 3 });
    await database.db.execute(sql`update providers set enabled = false`);
    const { report, texts } = await surfaces();
    for (const surface of ['report', 'status', 'cli'] as const) {
      const text = texts[surface];
      expect(text, surface).not.toMatch(/of prompts covered \(≥/);
      expect(text, surface).not.toMatch(/100% \(0\/0\)/);
      expect(text, surface).toMatch(/Needs attention: .*no provider is enabled/);
    }
    expect(report.summary.overallHealth).toBe('NEEDS_ATTENTION');
    expect(report.summary.nothingToRun).toBe(false);
    expect(report.summary.reasons.map((r) => r.code)).toContain('no_provider_enabled');
  });
});
