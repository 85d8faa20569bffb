import { sql } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { queryOne } from '../../src/db/client.ts';
import { reconcile } from '../../src/scheduler/reconciler.ts';
import { backends } from '../support/db.ts';
import {
  expectedUnitCount,
  expectNightInvariants,
  NO_VIOLATIONS,
  nightViolations,
  triggerRuns,
} from '../support/night-invariants.ts';
import { completeAllLive, DEMO_UNITS, nightFixture } from '../support/scheduler-deps.ts';

/**
 * The fault tests' end-of-night check must itself catch what it is there to catch: a settled
 * night passes, and each kind of damage shows up under its own name.
 */

const RUN_DATE = '2026-03-02';
const AT = new Date('2026-03-02T08:30:00Z');

describe.each(backends())('night invariants on $name', (backend) => {
  const night = nightFixture(backend, { trigger: { runDate: RUN_DATE, at: AT } });

  async function settle() {
    await completeAllLive(night.db, RUN_DATE, AT);
    await reconcile(night.db, AT);
  }

  const oneTask = async (provider = 'openai') =>
    (await queryOne<{ id: number; prompt_id: string; job: string }>(
      night.db,
      sql`select id, prompt_id, batch_job_id as job from batch_tasks
            where run_date = ${RUN_DATE}::date and provider = ${provider} order by id limit 1`,
    )) ?? { id: 0, prompt_id: '', job: '' };

  it('passes a settled night, and names every unit of a night still running', async () => {
    const running = await nightViolations(night.db, RUN_DATE);
    expect(running.liveTasks).toHaveLength(DEMO_UNITS);
    expect(running.unitsWithoutOutcome).toHaveLength(DEMO_UNITS);
    await settle();
    await expectNightInvariants(night.db, RUN_DATE, { expectedUnits: DEMO_UNITS });
    expect(await expectedUnitCount(night.db)).toBe(DEMO_UNITS);
    expect(await triggerRuns(night.db, RUN_DATE)).toBe(1);
  });

  it('catches a task left processing, and the job closed around it', async () => {
    await settle();
    const task = await oneTask();
    await night.db.execute(sql`update batch_tasks set status = 'processing', locked_by = 'gone:1:x'
                               where id = ${task.id}`);
    const found = await nightViolations(night.db, RUN_DATE);
    expect(found.liveTasks).toEqual([
      { id: task.id, provider: 'openai', status: 'processing', locked_by: 'gone:1:x' },
    ]);
    expect(found.responseMismatches).toEqual([{ task_id: task.id, status: 'processing', successes: 1 }]);
    expect(found.jobCountMismatches.map((j) => j.id)).toEqual([task.job]);
  });

  it('catches a second success for one unit, and the unit it was taken from', async () => {
    await settle();
    const [a, b] = [await oneTask('openai'), await oneTask('perplexity')];
    await night.db.execute(sql`update prompt_provider_responses set prompt_id = ${a.prompt_id}, provider = 'openai'
                               where batch_task_id = ${b.id}`);
    const found = await nightViolations(night.db, RUN_DATE);
    expect(found.duplicateSuccesses).toEqual([{ prompt_id: a.prompt_id, provider: 'openai', successes: 2 }]);
    expect(found.unitsWithoutOutcome.map((u) => [u.provider, u.successes]).sort()).toEqual([
      ['openai', 2],
      ['perplexity', 0],
    ]);
  });

  it('accepts a final failure, and catches counters, attempts and a second nightly job', async () => {
    await settle();
    const failed = await oneTask('gemini');
    await night.db.execute(sql`delete from prompt_provider_responses where batch_task_id = ${failed.id}`);
    await night.db.execute(
      sql`update batch_tasks set status = 'failed', attempts = max_attempts where id = ${failed.id}`,
    );
    await night.db.execute(sql`update batch_jobs set failed_tasks = failed_tasks + 1, completed_tasks = completed_tasks - 1
                               where id = ${failed.job}`);
    expect(await nightViolations(night.db, RUN_DATE)).toEqual(NO_VIOLATIONS);

    const task = await oneTask('anthropic');
    await night.db.execute(sql`update batch_tasks set attempts = max_attempts + 1 where id = ${task.id}`);
    await night.db.execute(
      sql`update batch_jobs set completed_tasks = completed_tasks - 1 where id = ${task.job}`,
    );
    await night.db.execute(sql`insert into batch_jobs (org_id, run_date, source, triggered_by)
                               select org_id, run_date, 'nightly', 'test' from batch_jobs where id = ${task.job}`);
    const found = await nightViolations(night.db, RUN_DATE);
    expect(found.attemptsOverMax).toEqual([{ id: task.id, attempts: 4, max_attempts: 3 }]);
    expect(found.orgsTriggeredTwice).toHaveLength(1);
    // The job whose counter is off, and the second nightly job left open with nothing to run.
    expect(found.jobCountMismatches).toHaveLength(2);
    expect(found.unitsWithoutOutcome).toEqual([]);
  });
});
