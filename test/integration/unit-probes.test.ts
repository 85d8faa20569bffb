import { sql } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { queryOne } from '../../src/db/client.ts';
import { previewEnqueue, previewQuery } from '../../src/queue/enqueue-units.ts';
import { UNIT_SCOPES } from '../../src/queue/run-scope.ts';
import { backends } from '../support/db.ts';
import { nightFixture } from '../support/scheduler-deps.ts';

/**
 * The repair preview looks units up one by one (a success? a live task? a final failure?) by
 * index probes on all three keys. Seen on main: its `not exists` probes became anti-joins, and
 * with tonight unseen by the statistics the anti-join read the whole night for each unit:
 * `/sched-status` (which shows the preview) answered after 84 s on PGlite with 30 nights of
 * history, the preview alone ran for minutes. Written as scalar subqueries with LIMIT 1, no plan
 * can join them, whatever the statistics say.
 */

const RUN_DATE = '2026-03-02';
type PlanNode = {
  'Node Type': string;
  'Join Type'?: string;
  'Relation Name'?: string;
  'Parent Relationship'?: string;
  Plans?: PlanNode[];
};

/** A night's partition (batch_tasks_p20260302, ..._default) named by its table. */
const tableOf = (relation: string) => relation.replace(/_(p\d{8}|default)$/, '');

const relations = (node: PlanNode): string[] => [
  ...(node['Relation Name'] ? [tableOf(node['Relation Name'])] : []),
  ...(node.Plans ?? []).flatMap(relations),
];

/** The tables each semi- or anti-join looks up (its inner side). */
function lookedUpByJoins(node: PlanNode): string[] {
  const inner = ['Semi', 'Anti'].includes(node['Join Type'] ?? '')
    ? (node.Plans ?? []).filter((child) => child['Parent Relationship'] === 'Inner').flatMap(relations)
    : [];
  return [...inner, ...(node.Plans ?? []).flatMap(lookedUpByJoins)];
}

describe.each(backends())('unit probes on $name', (backend) => {
  const night = nightFixture(backend, {
    trigger: { runDate: RUN_DATE, at: new Date('2026-03-02T08:00:00Z') },
  });

  it.each(UNIT_SCOPES)(
    'the repair preview (%s units) probes each unit, and never joins on tasks or answers',
    async (units) => {
      const request = {
        runDate: RUN_DATE,
        scope: units,
        skipSnoozed: true,
        now: new Date('2026-03-02T09:00:00Z'),
      };
      const plan = await queryOne<{ 'QUERY PLAN': [{ Plan: PlanNode }] }>(
        night.db,
        sql`explain (format json) ${previewQuery(request)}`,
      );
      const root = plan?.['QUERY PLAN'][0].Plan as PlanNode;
      // The probes run as subplans on the tasks' and answers' indexes...
      expect(relations(root)).toContain('batch_tasks');
      // ...and no join looks them up (the snoozes, a handful of rows, may be joined).
      const joined = lookedUpByJoins(root);
      expect(joined).not.toContain('batch_tasks');
      expect(joined).not.toContain('prompt_provider_responses');
      // Every unit is live right after the trigger: nothing to repair, whatever the scope.
      const preview = await previewEnqueue(night.db, request);
      expect(preview.units).toBe(0);
    },
  );
});
