/**
 * `npm run bench`: sched-bot beside outside references, interleaved in one process run, as
 * figures and ratios, never as pass/fail timings. Every scenario lives in bench/scenarios/.
 *
 *   npm run bench                      the full run of BENCHMARKS.md (an hour or more)
 *   npm run bench -- --quick           every scenario at a tiny size: the CI smoke test
 *   npm run bench -- --only queue,idle only these scenarios
 *   npm run bench -- --scale 0.1       every size at a tenth (runs unchanged), said in the output
 *   npm run bench -- --json            the figures as JSON on stdout (the table goes to stderr)
 *   npm run bench -- --markdown        the results section of BENCHMARKS.md on stdout
 *   npm run bench -- --write BENCHMARKS.md   that section written into the file, between its markers
 *
 * PostgreSQL: BENCH_DATABASE_URL (default postgres://root@127.0.0.1:5432/postgres), where each
 * scenario creates and drops a database of its own. The exit code says whether every scenario
 * ran (0) or one could not (1), never whether a figure was good.
 */
import { readFile, writeFile } from 'node:fs/promises';
import { cpus, loadavg, totalmem } from 'node:os';
import { parseArgs } from 'node:util';
import { type BenchContext, FULL, QUICK, type Scenario, scaleSizes } from './context.ts';
import { adminQuery } from './databases.ts';
import { buildHistory, type HistoryDb } from './history.ts';
import {
  type Figure,
  markdown,
  type RunInfo,
  replaceResults,
  terminalHeader,
  terminalRow,
} from './report.ts';
import { cliStart } from './scenarios/cli-start.ts';
import { fanOut } from './scenarios/fan-out.ts';
import { idleCost } from './scenarios/idle.ts';
import { pgliteVsPostgres } from './scenarios/pglite-vs-postgres.ts';
import { postcheck } from './scenarios/postcheck.ts';
import { queue } from './scenarios/queue.ts';
import { rateLimit } from './scenarios/rate-limit.ts';
import { slackStatus } from './scenarios/slack-status.ts';
import { year } from './scenarios/year.ts';

const SCENARIOS: Scenario[] = [
  fanOut,
  queue,
  rateLimit,
  postcheck,
  slackStatus,
  idleCost,
  pgliteVsPostgres,
  cliStart,
  year,
];

const { values } = parseArgs({
  options: {
    quick: { type: 'boolean' },
    json: { type: 'boolean' },
    markdown: { type: 'boolean' },
    write: { type: 'string' },
    only: { type: 'string' },
    scale: { type: 'string' },
    help: { type: 'boolean' },
  },
});

if (values.help) {
  process.stdout.write(
    `usage: npm run bench -- [--quick] [--scale F] [--only a,b] [--json | --markdown | --write BENCHMARKS.md]\n\nscenarios:\n${SCENARIOS.map(
      (s) => `  ${s.name.padEnd(20)} ${s.summary}`,
    ).join('\n')}\n`,
  );
  process.exit(0);
}

const only = values.only?.split(',').map((s) => s.trim());
const unknown = only?.filter((name) => !SCENARIOS.some((s) => s.name === name)) ?? [];
if (unknown.length > 0) {
  process.stderr.write(`unknown scenario: ${unknown.join(', ')}\n`);
  process.exit(2);
}
const scale = values.scale === undefined ? 1 : Number(values.scale);
if (!(scale > 0)) {
  process.stderr.write(`--scale wants a positive number, not ${values.scale}\n`);
  process.exit(2);
}

// With --json or --markdown, stdout carries only that document.
const say = (text: string) =>
  (values.json || values.markdown ? process.stderr : process.stdout).write(`${text}\n`);
const load = () =>
  loadavg()
    .map((n) => n.toFixed(2))
    .join(' ');

async function versions(): Promise<Record<string, string>> {
  const server = await adminQuery('show server_version').catch(() => undefined);
  const read = async (name: string) =>
    (
      (await import(`../node_modules/${name}/package.json`, { with: { type: 'json' } })) as {
        default: { version: string };
      }
    ).default.version;
  return {
    node: process.version,
    postgresql: String(server?.rows[0]?.server_version ?? 'unreachable'),
    pglite: await read('@electric-sql/pglite'),
    'graphile-worker': await read('graphile-worker'),
  };
}

async function main(): Promise<number> {
  const started = performance.now();
  const info: RunInfo = {
    startedAt: new Date().toISOString().replace(/\.\d+Z$/, 'Z'),
    mode: values.quick ? 'quick' : 'full',
    scale,
    machine: `${cpus().length} x ${cpus()[0]?.model ?? 'cpu'}, ${Math.round(totalmem() / 2 ** 30)} GiB, ${process.platform}`,
    versions: await versions(),
    loadBefore: load(),
    failures: [],
  };
  // A --write target without its markers would be found out only after the whole run.
  if (values.write) replaceResults(await readFile(values.write, 'utf8'), '');
  const figures: Figure[] = [];
  const histories = new Map<string, Promise<HistoryDb>>();
  const ctx: BenchContext = {
    quick: Boolean(values.quick),
    sizes: scaleSizes(values.quick ? QUICK : FULL, scale),
    emit(figure) {
      figures.push(figure);
      say(terminalRow(figure));
    },
    log(text) {
      process.stderr.write(`  .. ${text}\n`);
    },
    history(backend) {
      let history = histories.get(backend);
      if (!history) {
        history = buildHistory(ctx, backend);
        histories.set(backend, history);
      }
      return history;
    },
  };

  const scaled = scale === 1 ? '' : `, every size x${scale}`;
  say(`sched-bot bench (${info.mode}${scaled}), load average ${info.loadBefore}\n`);
  say(terminalHeader());
  for (const scenario of SCENARIOS.filter((s) => !only || only.includes(s.name))) {
    try {
      await scenario.run(ctx);
    } catch (error) {
      const message = error instanceof Error ? String(error.cause ?? error.message) : String(error);
      info.failures.push({ scenario: scenario.name, error: message.slice(0, 300) });
      say(`${scenario.name}: could not run: ${message.slice(0, 300)}`);
      if (error instanceof Error && error.stack) process.stderr.write(`${error.stack}\n`);
    }
  }
  for (const history of histories.values()) await (await history.catch(() => undefined))?.close();

  info.loadAfter = load();
  info.totalSeconds = (performance.now() - started) / 1000;
  say(`\ntotal ${Math.round(info.totalSeconds)} s, load average ${info.loadAfter}`);
  if (values.json) process.stdout.write(`${JSON.stringify({ info, figures }, null, 2)}\n`);
  if (values.markdown) process.stdout.write(markdown(figures, info));
  if (values.write) {
    const text = await readFile(values.write, 'utf8');
    await writeFile(values.write, replaceResults(text, markdown(figures, info)));
    say(`results written into ${values.write}`);
  }
  return info.failures.length === 0 ? 0 : 1;
}

process.exitCode = await main();
