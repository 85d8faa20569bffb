/**
 * Records a real night's progress for the projection's accuracy test (test/unit/night-projection
 * .test.ts): an embedded database with the demo seed, the simulated `demo` providers at low rpm
 * limits (perplexity the slowest), one in-process worker, and when every task was created and
 * reached its final state. Run it again to refresh the fixture:
 *
 *   npx tsx test/support/record-night-progress.ts > test/fixtures/night-progress.json
 */
import { sql } from 'drizzle-orm';
import { loadConfig } from '../../src/config.ts';
import { systemClock } from '../../src/context.ts';
import { openDatabase, queryRows } from '../../src/db/client.ts';
import { migrateDatabase } from '../../src/db/migrate.ts';
import { seedDemo } from '../../src/db/seed-demo.ts';
import { silentLogger } from '../../src/logger.ts';
import { startWorker } from '../../src/scheduler/worker.ts';
import { resetProvidersFromConfig } from './insert-rows.ts';
import { simulatedAdapters, triggerToday } from './worker-fixtures.ts';

const RPM = { OPENAI_RPM: '240', ANTHROPIC_RPM: '120', GEMINI_RPM: '180', PERPLEXITY_RPM: '60' };

const database = await openDatabase({ pgliteDir: 'memory://' });
await migrateDatabase(database);
const config = loadConfig({ SIMULATED_PROFILE: 'demo', LOG_LEVEL: 'silent', ...RPM });
const deps = { db: database.db, config, logger: silentLogger(), clock: systemClock };
await seedDemo(database.db, { orgs: 28, promptsPerOrg: 8 });
await resetProvidersFromConfig(database.db, config);
const runDate = await triggerToday(deps);
const worker = startWorker(deps, {
  adapters: simulatedAdapters('demo', {}),
  concurrency: 16,
  drain: true,
});
await worker.done;
const rows = await queryRows<{ provider: string; rpm: number; created: number; finished: number }>(
  database.db,
  sql`select t.provider, p.rpm,
             extract(epoch from t.created_at)::float8 * 1000 as created,
             extract(epoch from t.completed_at)::float8 * 1000 as finished
      from batch_tasks t join providers p on p.name = t.provider
      where t.run_date = ${runDate}::date and t.status in ('completed', 'failed')
      order by t.completed_at`,
);
const start = Math.min(...rows.map((r) => r.created));
const providers = [...new Set(rows.map((r) => r.provider))].sort();
const recording = {
  recorded: 'demo profile, one worker of concurrency 16, embedded database',
  rpm: Object.fromEntries(providers.map((p) => [p, rows.find((r) => r.provider === p)?.rpm])),
  // Milliseconds since the first task was created, per provider, in order of completion.
  finishedMs: Object.fromEntries(
    providers.map((p) => [
      p,
      rows.filter((r) => r.provider === p).map((r) => Math.round(r.finished - start)),
    ]),
  ),
};
process.stdout.write(`${JSON.stringify(recording)}\n`);
await database.close();
