import { spawnSync } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { addDays, runDateOf } from '../../src/time/business-day.ts';
import { cliEnvironment } from '../support/cli.ts';
import { backends } from '../support/db.ts';
import { decodePng } from '../support/png.ts';

/**
 * Issue 13: `sched --help` took 3.4-8 s because every subcommand imported Bolt, the four provider
 * SDKs and both database drivers, and every start compiled TypeScript through tsx. Now a
 * subcommand's code loads only when it runs, and a built checkout (`npm ci` runs the build)
 * runs compiled JavaScript from dist/, but never a dist/ older than what is in src/.
 */

const ROOT = resolve(import.meta.dirname, '../..');
const RECORDER = join(ROOT, 'test/support/record-imports.js');
const HEAVY = ['@slack/bolt', 'openai', '@anthropic-ai/sdk', '@google/genai', 'pg', '@electric-sql/pglite'];
const SPAWN_MS = 180_000;

const dirs: string[] = [];
const tempDir = (prefix: string) => {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  dirs.push(dir);
  return dir;
};
afterAll(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

/** Runs `node <script> <args>` in `root` and lists the module URLs the process resolved. */
function run(root: string, script: string, args: string[], env: Record<string, string | undefined> = {}) {
  const record = join(tempDir('sched-imports-'), 'imports.txt');
  writeFileSync(record, '');
  const result = spawnSync(process.execPath, ['--import', RECORDER, script, ...args], {
    cwd: root,
    env: {
      PATH: process.env.PATH,
      HOME: process.env.HOME,
      LOG_LEVEL: 'warn',
      ...env,
      RECORD_IMPORTS: record,
    },
    encoding: 'utf8',
    timeout: SPAWN_MS,
  });
  const imports = readFileSync(record, 'utf8').split('\n').filter(Boolean);
  return { code: result.status, output: `${result.stdout}${result.stderr}`, stdout: result.stdout, imports };
}

const packagesIn = (imports: string[], names: string[]) =>
  names.filter((name) => imports.some((url) => url.includes(`/node_modules/${name}/`)));
const under = (imports: string[], root: string, dir: string) =>
  imports.filter((url) => url.startsWith(`${pathToFileURL(join(root, dir)).href}/`));

/** What a clone holds (the sources, the bin, the build, the migrations), sharing node_modules. */
function copyCheckout(): string {
  const root = tempDir('sched-checkout-');
  for (const entry of ['src', 'bin', 'scripts', 'drizzle', 'package.json', 'tsconfig.json']) {
    cpSync(join(ROOT, entry), join(root, entry), { recursive: true });
  }
  symlinkSync(join(ROOT, 'node_modules'), join(root, 'node_modules'));
  return root;
}

describe('sched start-up', () => {
  it('--help lists every command and loads no database driver, Slack or provider SDK', {
    timeout: SPAWN_MS,
  }, () => {
    const help = run(ROOT, 'bin/sched.js', ['--help']);
    expect(help.code, help.output).toBe(0);
    for (const name of ['serve', 'status', 'trigger', 'worker', 'audit', 'manual-run']) {
      expect(help.stdout).toMatch(new RegExp(`^  sched ${name}\\b`, 'm'));
    }
    expect(packagesIn(help.imports, HEAVY)).toEqual([]);
  });

  for (const backend of backends()) {
    it(`${backend.name}: a built checkout runs dist/; once src/ changes it runs the source again`, {
      timeout: SPAWN_MS * 4,
    }, async () => {
      const root = copyCheckout();

      // A fresh clone before any build: the source, through tsx.
      const fresh = run(root, 'bin/sched.js', ['--help']);
      expect(fresh.code, fresh.output).toBe(0);
      expect(under(fresh.imports, root, 'src')).toContain(pathToFileURL(join(root, 'src/cli/main.ts')).href);

      const build = spawnSync('npm', ['run', 'build'], { cwd: root, encoding: 'utf8', timeout: SPAWN_MS });
      expect(build.status, `${build.stdout}${build.stderr}`).toBe(0);

      // Built: only JavaScript from dist/, no TypeScript compiler loaded.
      const cli = await cliEnvironment(backend);
      try {
        const status = run(root, 'bin/sched.js', ['status'], cli.env);
        expect(status.code, status.output).toBe(0);
        expect(status.stdout).toMatch(/^Run date \d{4}-\d\d-\d\d/);
        expect(under(status.imports, root, 'src')).toEqual([]);
        expect(under(status.imports, root, 'dist')).toContain(
          pathToFileURL(join(root, 'dist/cli/commands/status.js')).href,
        );
        expect(packagesIn(status.imports, ['tsx', '@slack/bolt', 'openai'])).toEqual([]);
      } finally {
        await cli.close();
      }
      const built = run(root, 'bin/sched.js', ['--help']);
      expect(built.stdout).toBe(fresh.stdout);
      expect(under(built.imports, root, 'src')).toEqual([]);
      expect(packagesIn(built.imports, [...HEAVY, 'tsx'])).toEqual([]);

      // A newcomer edits a summary and has not rebuilt: sched shows the edit, not the stale build.
      const index = join(root, 'src/cli/commands/index.ts');
      writeFileSync(
        index,
        readFileSync(index, 'utf8').replace('health, coverage', 'EDITED health, coverage'),
      );
      const edited = run(root, 'bin/sched.js', ['--help']);
      expect(edited.code, edited.output).toBe(0);
      expect(edited.stdout).toContain('EDITED health, coverage');
      expect(under(edited.imports, root, 'dist')).toEqual([]);
    });
  }

  for (const backend of backends()) {
    it(`${backend.name}: a built checkout draws the coverage chart from dist/`, {
      timeout: SPAWN_MS * 4,
    }, async () => {
      const root = copyCheckout();
      const build = spawnSync('npm', ['run', 'build'], { cwd: root, encoding: 'utf8', timeout: SPAWN_MS });
      expect(build.status, `${build.stdout}${build.stderr}`).toBe(0);
      // Yesterday's business day: a backfill within BACKFILL_DAYS, whatever day the suite runs.
      const date = addDays(runDateOf(new Date(), 'America/New_York'), -1);
      const cli = await cliEnvironment(backend, { SIMULATED_PROFILE: 'ideal' });
      try {
        for (const argv of [
          ['seed', '--demo'],
          ['trigger', '--date', date],
          ['postcheck', '--date', date],
        ]) {
          const step = run(root, 'bin/sched.js', argv, cli.env);
          expect(step.code, `${argv.join(' ')}: ${step.output}`).toBe(0);
        }
        const out = join(tempDir('sched-chart-'), 'out.png');
        const chart = run(root, 'bin/sched.js', ['history', '--chart', out], cli.env);
        expect(chart.code, chart.output).toBe(0);
        // The chart's worker thread is a plain .js file under src/: the build must carry it.
        expect(under(chart.imports, root, 'src')).toEqual([]);
        expect(packagesIn(chart.imports, ['tsx'])).toEqual([]);
        const png = decodePng(readFileSync(out));
        expect([png.width, png.height]).toEqual([1600, 800]);
      } finally {
        await cli.close();
      }
    });
  }
});
