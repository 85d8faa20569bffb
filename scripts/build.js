// `npm run build`, also run by `npm ci` and `npm install` (`prepare`): every src/*.ts becomes
// dist/*.js, one file each, with imports of ./x.ts rewritten to ./x.js, so `sched` and `npm start`
// start without compiling TypeScript; every other file under src/ (the chart's worker thread,
// plain JavaScript loaded by path) is copied as it is. Type checking stays with `npm run typecheck`.
import { cpSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { DIST, SRC, STAMP_FILE, sourceStamp } from '../bin/load-entry.js';

let esbuild;
try {
  // esbuild comes with tsx (a dependency), so an install without dev dependencies builds too.
  esbuild = await import('esbuild');
} catch (error) {
  console.warn(`no build (${error.message}): sched and npm start run src/ through tsx`);
  process.exit(0);
}

// Taken before compiling: a file edited during the build leaves dist/ stale, and so unused.
const sources = sourceStamp();
const tmp = `${DIST}.tmp-${process.pid}`;
rmSync(tmp, { recursive: true, force: true });
try {
  await esbuild.build({
    entryPoints: Object.keys(sources)
      .filter((name) => name.endsWith('.ts'))
      .map((name) => join(SRC, name)),
    outbase: SRC,
    outdir: tmp,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    sourcemap: 'linked',
    logLevel: 'warning',
    // "Bundling" with every import external compiles each file on its own and lets the plugin
    // rewrite its relative imports; packages stay imports of node_modules.
    bundle: true,
    plugins: [
      {
        name: 'one-file-each',
        setup(build) {
          build.onResolve({ filter: /.*/ }, (args) => {
            if (args.kind === 'entry-point') return undefined;
            const relative = args.path.startsWith('.');
            return { path: relative ? args.path.replace(/\.ts$/, '.js') : args.path, external: true };
          });
        },
      },
    ],
  });
  // Loaded by path, not imported, so esbuild never sees them: without them dist/ is not the code.
  for (const name of Object.keys(sources).filter((n) => !n.endsWith('.ts'))) {
    cpSync(join(SRC, name), join(tmp, name));
  }
  writeFileSync(join(tmp, STAMP_FILE), JSON.stringify(sources));
  rmSync(DIST, { recursive: true, force: true });
  renameSync(tmp, DIST);
} finally {
  rmSync(tmp, { recursive: true, force: true });
}
console.log(`built dist/ from src/ (${Object.keys(sources).length} files)`);
