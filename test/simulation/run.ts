import { parseArgs } from 'node:util';
import fc from 'fast-check';
import { type Backend, backends } from '../support/db.ts';
import { COMMAND_ARBITRARIES, OUTAGE, START } from './commands.ts';
import { INVARIANTS, type InvariantKey, skipped, skippedAuditChecks, withInvariants } from './invariants.ts';
import { afterEach, type Model, newModel } from './model.ts';
import { rule } from './oracle.ts';
import { resetDatabase, startWorld } from './world.ts';

/**
 * `npm run simulate -- [--seed S --path P [--replay-path R]] [--runs N] [--nights N]
 * [--backend pglite|postgres] [--time-limit SECONDS] [--skip KEY,...]`: random weeks of
 * operators, providers, Slack and faults against the real product, one world per run, with the
 * invariants (invariants.ts) checked after every command. A failure prints the seed, the path
 * and the shrunk commands, and the command line that replays them.
 */

const { values } = parseArgs({
  options: {
    seed: { type: 'string' },
    path: { type: 'string' },
    'replay-path': { type: 'string' },
    runs: { type: 'string', default: '10' },
    nights: { type: 'string', default: '3' },
    orgs: { type: 'string', default: '5' },
    backend: { type: 'string', multiple: true },
    'time-limit': { type: 'string' },
    skip: { type: 'string' },
    'health-rule': { type: 'string', default: 'new' },
  },
});

const runs = Number(values.runs);
const nights = Number(values.nights);
const orgs = Math.min(5, Math.max(3, Number(values.orgs)));
const seed = values.seed === undefined ? Date.now() ^ (Math.random() * 0x7fffffff) : Number(values.seed);
const timeLimitMs = values['time-limit'] ? Number(values['time-limit']) * 1000 : undefined;
for (const key of (values.skip ?? '').split(',').filter(Boolean)) {
  if (key.startsWith('audit:')) {
    skippedAuditChecks.add(key.slice('audit:'.length));
    continue;
  }
  if (!(key in INVARIANTS))
    throw new Error(`--skip: unknown invariant "${key}" (${Object.keys(INVARIANTS).join(', ')})`);
  skipped.add(key as InvariantKey);
}

if (values['health-rule'] === 'old') rule.providers = false;

const available = backends();
const wanted = values.backend ?? available.map((b) => b.name);
const chosen: Backend[] = wanted.map((name) => {
  const backend = available.find((b) => b.name === name);
  if (!backend) throw new Error(`--backend ${name}: not available (postgres needs TEST_DATABASE_URL)`);
  return backend;
});

afterEach.run = withInvariants;

interface Tally {
  runs: number;
  commands: Map<string, number>;
  checks: Map<string, number>;
}

function merge(into: Map<string, number>, from: Map<string, number>) {
  for (const [k, v] of from) into.set(k, (into.get(k) ?? 0) + v);
}

async function simulate(backend: Backend): Promise<boolean> {
  const database = await backend.create();
  const tally: Tally = { runs: 0, commands: new Map(), checks: new Map() };
  const started = Date.now();
  let firstFailure: { run: number; seconds: number } | undefined;
  const property = fc.asyncProperty(
    START,
    OUTAGE,
    fc.commands(COMMAND_ARBITRARIES, {
      maxCommands: nights * 10,
      size: 'max',
      ...(values['replay-path'] ? { replayPath: values['replay-path'] } : {}),
    }),
    async (start, outage, commands) => {
      await resetDatabase(database.db, orgs);
      const world = await startWorld(database.db, start, database.url);
      const model: Model = newModel();
      try {
        for (const command of outage?.commands() ?? []) await command.run(model, world);
        await fc.asyncModelRun(() => ({ model, real: world }), commands);
      } catch (error) {
        // Before shrinking: how long the search took to meet a failure at all.
        firstFailure ??= { run: tally.runs + 1, seconds: (Date.now() - started) / 1000 };
        throw error;
      } finally {
        tally.runs += 1;
        merge(tally.commands, model.counts);
        merge(tally.checks, model.checks);
        await world.stop();
      }
    },
  );
  console.log(`simulate ${backend.name}: seed ${seed}, up to ${runs} runs of up to ${nights * 10} commands`);
  const details = await fc.check(property, {
    numRuns: runs,
    seed,
    ...(values.path ? { path: values.path } : {}),
    ...(timeLimitMs ? { interruptAfterTimeLimit: timeLimitMs } : {}),
  });
  await database.close();
  const seconds = ((Date.now() - started) / 1000).toFixed(1);
  if (details.failed) {
    const [startAt, outage, commands] = details.counterexample ?? [];
    const shown = String(commands);
    const replayPath = /replayPath="([^"]*)"/.exec(shown)?.[1];
    console.log(`\nSIMULATION FAILED on ${backend.name} (${details.numRuns} runs, ${seconds} s)`);
    if (firstFailure)
      console.log(
        `first failure in run ${firstFailure.run}, ${firstFailure.seconds.toFixed(1)} s in (then shrinking)`,
      );
    console.log(`seed ${details.seed}, path ${details.counterexamplePath}`);
    console.log(
      `failure: ${details.errorInstance instanceof Error ? details.errorInstance.message : String(details.errorInstance)}`,
    );
    console.log(
      `shrunk case (${details.numShrinks} shrinks): start ${(startAt as Date | undefined)?.toISOString()}` +
        `${outage ? `, from the start ${outage}` : ''}`,
    );
    for (const line of shown.replace(/\/\*replayPath=.*\*\//, '').split(/,(?![^(]*\))/))
      console.log(`  ${line.trim()}`);
    console.log(
      `replay: npm run simulate -- --backend ${backend.name} --seed ${details.seed} --path ${details.counterexamplePath}` +
        `${replayPath ? ` --replay-path '${replayPath}'` : ''} --nights ${nights} --orgs ${orgs}` +
        `${values.skip ? ` --skip ${values.skip}` : ''}${values['health-rule'] === 'old' ? ' --health-rule old' : ''}`,
    );
  } else {
    console.log(
      `\n${backend.name}: ${details.numRuns} runs passed in ${seconds} s${details.interrupted ? ' (time limit reached)' : ''}`,
    );
  }
  const failed = details.failed
    ? (details.errorInstance as { invariant?: string } | undefined)?.invariant
    : undefined;
  for (const [key, text] of Object.entries(INVARIANTS)) {
    const state = skipped.has(key as InvariantKey) ? 'skipped' : key === failed ? 'VIOLATED' : 'held';
    console.log(`  invariant ${text}: ${state} (${tally.checks.get(key) ?? 0} checks)`);
  }
  const kinds = [...tally.commands.entries()].sort((a, b) => b[1] - a[1]);
  const total = kinds.reduce((sum, [, n]) => sum + n, 0);
  console.log(`  commands run (${tally.runs} worlds, shrinking included): ${total}`);
  console.log(`    ${kinds.map(([k, n]) => `${k} ${n}`).join(', ')}`);
  return !details.failed;
}

let ok = true;
for (const backend of chosen) ok = (await simulate(backend)) && ok;
process.exit(ok ? 0 : 1);
