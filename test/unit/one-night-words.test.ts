import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { summaryText } from '../../src/blocks/coverage-summary.ts';
import { homeView } from '../../src/blocks/home-view.ts';
import { ACTION_IDS } from '../../src/blocks/ids.ts';
import { repairStateText } from '../../src/blocks/repair-state.ts';
import { reportMessage } from '../../src/blocks/report-message.ts';
import { statusMessage } from '../../src/blocks/status-message.ts';
import { formatCoverageReport } from '../../src/blocks/text-report.ts';
import type { RepairState } from '../../src/blocks/types.ts';
import { buildCoverageReport, percentOf } from '../../src/coverage/coverage-math.ts';
import type { CoverageRows } from '../../src/coverage/coverage-query.ts';
import type { CoverageReport, MissingReason } from '../../src/coverage/types.ts';
import { PROVIDER_NAMES, type ProviderName } from '../../src/providers/types.ts';
import { makeReport, uuid } from '../support/report-factory.ts';
import { actionIds } from '../support/slack-payloads.ts';
import { visibleText } from '../support/view-inspect.ts';

/**
 * One night, one set of words: for any measured state of a night (random orgs, providers, misses,
 * live tasks, a repair in any stage), no message rendered from it states a health or a figure
 * that contradicts that state: the health words match the health, every "x% (a/b)" is a/b, a
 * "below t%" figure is below t and a "(≥ t%)" one is not, nothing reads "(0/0)", a night with
 * nothing to run says so, "Final" appears only when no unit is live, and Repair is not offered
 * again while a repair's night still has live units.
 */

const THRESHOLDS = { promptPercent: 95, orgPercent: 95, providerPercent: 95 };
const NOW = new Date('2026-03-09T10:00:00Z');
const REASONS: MissingReason[] = ['rate_limited', 'server', 'auth', 'pending', 'processing', 'not_scheduled'];

interface Shape {
  orgs: { prompts: number; misses: { prompt: number; provider: number; reason: number }[] }[];
  providers: ProviderName[];
  trigger: string | null;
  ineligiblePrompts: number;
  repair: 'none' | 'running' | 'finished';
}

const shapeArbitrary: fc.Arbitrary<Shape> = fc.record({
  orgs: fc.array(
    fc.record({
      prompts: fc.integer({ min: 0, max: 6 }),
      misses: fc.array(
        fc.record({
          prompt: fc.nat(5),
          provider: fc.nat(3),
          reason: fc.nat(REASONS.length - 1),
        }),
        { maxLength: 12 },
      ),
    }),
    { maxLength: 5 },
  ),
  providers: fc.subarray([...PROVIDER_NAMES], { minLength: 0 }),
  trigger: fc.constantFrom('completed', 'skipped', 'failed', null),
  ineligiblePrompts: fc.nat(3),
  repair: fc.constantFrom('none', 'running', 'finished'),
});

/** Rows as the coverage query would return them for that shape: every count consistent. */
function rowsOf(shape: Shape): CoverageRows {
  const providers = shape.providers;
  const rows: CoverageRows = {
    orgs: [],
    providers: [],
    missing: [],
    over_quota: [],
    tasks: { pending: 0, processing: 0, completed: 0, failed: 0, cancelled: 0 },
  };
  const missedBy = new Map<ProviderName, number>();
  shape.orgs.forEach((org, o) => {
    const units = providers.length === 0 ? 0 : org.prompts;
    const seen = new Set<string>();
    const misses = org.misses
      .filter((m) => m.prompt < units)
      .map((m) => ({
        prompt: m.prompt,
        provider: providers[m.provider % providers.length] as ProviderName,
        reason: REASONS[m.reason] as MissingReason,
      }))
      .filter((m) => {
        const key = `${m.prompt}/${m.provider}`;
        if (seen.has(key)) return false;
        seen.add(key);
        return true;
      });
    const byPrompt = new Map<number, number>();
    for (const m of misses) byPrompt.set(m.prompt, (byPrompt.get(m.prompt) ?? 0) + 1);
    const uncovered = [...byPrompt.values()].filter((n) => n === providers.length).length;
    const live = misses.filter((m) => m.reason === 'pending' || m.reason === 'processing');
    rows.tasks.pending += live.filter((m) => m.reason === 'pending').length;
    rows.tasks.processing += live.filter((m) => m.reason === 'processing').length;
    rows.tasks.completed += units * providers.length - misses.length;
    rows.tasks.failed += misses.length - live.length;
    if (units === 0) return;
    rows.orgs.push({
      org_id: uuid(1, o),
      name: `Org ${o}`,
      slug: `org-${o}`,
      plan: 'growth',
      expected_prompts: units,
      covered_prompts: units - uncovered,
      full_prompts: units - byPrompt.size,
      expected_units: units * providers.length,
      succeeded_units: units * providers.length - misses.length,
      over_quota_prompts: 0,
      found: live.length === 0,
    });
    for (const m of misses) {
      missedBy.set(m.provider, (missedBy.get(m.provider) ?? 0) + 1);
      rows.missing.push({
        org_id: uuid(1, o),
        prompt_id: uuid(2, o * 100 + m.prompt),
        text: `Prompt ${o}.${m.prompt}`,
        provider: m.provider,
        reason: m.reason,
        error: null,
      });
    }
  });
  const expectedPrompts = rows.orgs.reduce((a, o) => a + o.expected_prompts, 0);
  for (const provider of PROVIDER_NAMES) {
    const enabled = providers.includes(provider);
    rows.providers.push({
      provider,
      enabled,
      paused_until: null,
      pause_reason: null,
      expected_units: enabled ? expectedPrompts : 0,
      succeeded_units: enabled ? expectedPrompts - (missedBy.get(provider) ?? 0) : 0,
    });
  }
  const activePrompts = shape.orgs.reduce((a, o) => a + o.prompts, 0);
  rows.night = {
    active_prompts: activePrompts,
    eligible_orgs: shape.orgs.length,
    enabled_providers: providers.length,
    trigger_status: shape.trigger,
    jobs: rows.orgs.length,
  };
  return rows;
}

function repairOf(shape: Shape): RepairState | undefined {
  if (shape.repair === 'none') return undefined;
  const base = {
    userId: 'U0REPAIR1',
    startedAt: new Date('2026-03-09T09:00:00Z'),
    units: 7,
    done: 7,
    failed: 0,
  };
  return shape.repair === 'finished'
    ? { ...base, finishedAt: new Date('2026-03-09T09:30:00Z') }
    : { ...base, done: 3 };
}

function messagesOf(report: CoverageReport, repair: RepairState | undefined) {
  const report_ = reportMessage({ report, repair, now: NOW });
  const status = statusMessage({ report, now: NOW });
  const home = homeView({ today: { runDate: report.runDate, report }, nights: [], now: NOW });
  return {
    views: { report: report_, status },
    texts: {
      report: `${report_.text}\n${visibleText(report_)}`,
      status: `${status.text}\n${visibleText(status)}`,
      home: visibleText(home),
      cli: formatCoverageReport(report),
      summary: summaryText(report, 'Nightly run'),
      ...(repair ? { repair: repairStateText(repair, report) } : {}),
    } as Record<string, string>,
  };
}

const number = (text: string) => Number(text.replace(/,/g, ''));

/** Every statement in `text` that contradicts `report`; empty when it says only what is so. */
function contradictions(text: string, report: CoverageReport, whole = true): string[] {
  const found: string[] = [];
  const healthy = report.summary.overallHealth === 'HEALTHY';
  if (healthy && /Needs attention|NEEDS_ATTENTION/.test(text)) found.push('says needs attention');
  if (!healthy && /✅ Healthy|Healthy:|\bHEALTHY\b/.test(text)) found.push('says healthy');
  if (/\(0\/0\)/.test(text)) found.push('says (0/0)');
  if (whole && report.summary.nothingToRun && !/nothing to run/i.test(text))
    found.push('does not say nothing to run');
  const live = report.tasks.pending + report.tasks.processing;
  if (live > 0 && /Final coverage/.test(text)) found.push('says final while units are live');
  for (const m of text.matchAll(/([\d.]+)% \(([\d,]+)\/([\d,]+)\)/g)) {
    const [shown, n, d] = [Number(m[1]), number(m[2] ?? ''), number(m[3] ?? '')];
    const cut = Math.floor((n * 1000) / d) / 10;
    if (shown !== percentOf(n, d) && shown !== cut) found.push(`${m[0]} is not ${n}/${d}`);
  }
  for (const m of text.matchAll(/([\d.]+)% \([\d,/]+\)[^;.\n]*?, below ([\d.]+)%/g)) {
    if (Number(m[1]) >= Number(m[2])) found.push(`"${m[0]}" is not below`);
  }
  for (const m of text.matchAll(/([\d.]+)% of [a-z ]+ \(≥ ([\d.]+)%\)/g)) {
    if (Number(m[1]) < Number(m[2])) found.push(`"${m[0]}" is not at or above`);
  }
  return found;
}

describe('every message about a night agrees with the state it was built from', () => {
  it('holds for random nights, providers, misses, live units and repairs', () => {
    fc.assert(
      fc.property(shapeArbitrary, (shape) => {
        const report = buildCoverageReport(rowsOf(shape), {
          runDate: '2026-03-09',
          timezone: 'America/New_York',
          generatedAt: NOW,
          thresholds: THRESHOLDS,
        });
        const repair = repairOf(shape);
        const { views, texts } = messagesOf(report, repair);
        for (const [surface, text] of Object.entries(texts)) {
          // The repair line is a part of the report, not a whole message.
          expect(contradictions(text, report, surface !== 'repair'), `${surface}:\n${text}`).toEqual([]);
        }
        const live = report.tasks.pending + report.tasks.processing;
        if (repair && live > 0) expect(actionIds(views.report)).not.toContain(ACTION_IDS.repair);
      }),
      { numRuns: 300 },
    );
  });

  it('catches a contradiction when one is planted', () => {
    const report = buildCoverageReport(
      rowsOf({ orgs: [], providers: [], trigger: null, ineligiblePrompts: 0, repair: 'none' }),
      {
        runDate: '2026-03-09',
        timezone: 'America/New_York',
        generatedAt: NOW,
        thresholds: THRESHOLDS,
      },
    );
    expect(contradictions('Healthy: 100% of prompts covered (≥ 95%) and 100% (0/0)', report)).toContain(
      'says (0/0)',
    );
    expect(contradictions('Healthy: 100% of prompts covered', report)).toContain(
      'does not say nothing to run',
    );
    expect(contradictions('95% (949/1000) of prompts covered, below 95%', report)).toEqual(
      expect.arrayContaining([
        '95% (949/1000) is not 949/1000',
        '"95% (949/1000) of prompts covered, below 95%" is not below',
      ]),
    );
  });
});

describe('mid-repair (seen: "Final coverage" while units still ran, and Repair was back)', () => {
  it('a finished repair of a night with live units says "so far", and Repair stays away until they end', () => {
    const repair: RepairState = {
      userId: 'U0REPAIR1',
      startedAt: new Date('2026-03-09T09:00:00Z'),
      units: 7,
      done: 7,
      failed: 0,
      finishedAt: new Date('2026-03-09T09:30:00Z'),
    };
    const running = makeReport({ livePending: 12 });
    const view = reportMessage({ report: running, repair, now: NOW });
    const text = visibleText(view);
    expect(text).not.toContain('Final coverage');
    expect(text).toMatch(/12 units of the night still running; coverage so far: prompts/);
    expect(actionIds(view)).not.toContain(ACTION_IDS.repair);

    const done = reportMessage({ report: makeReport(), repair, now: NOW });
    expect(visibleText(done)).toContain('Final coverage: prompts');
    expect(actionIds(done)).toContain(ACTION_IDS.repair);
  });
});
