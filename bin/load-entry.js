// Where `sched` and `npm start` take their code from: the JavaScript in dist/ when it was built
// from exactly the src/ that is here now (`npm run build`; `npm ci` and `npm install` run it as
// `prepare`), else the TypeScript in src/ through tsx. An edit to src/ is never shadowed by an
// older build, and nothing is compiled at start in a built checkout.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
export const SRC = join(ROOT, 'src');
export const DIST = join(ROOT, 'dist');
/** Written last by the build: what dist/ was built from. */
export const STAMP_FILE = 'sources.json';

/**
 * Size and modification time of every file under src/, by path. An edit, a new, deleted or
 * renamed file, a branch switch (git writes files with the current time) or a file copied in with
 * its old time all change it; stat-ing some 200 files costs milliseconds, less than compiling one.
 */
export function sourceStamp(src = SRC, stamp = {}, prefix = '') {
  // A walk by hand: readdirSync's own `recursive` takes several times longer in Node 20.
  const entries = readdirSync(join(src, prefix), { withFileTypes: true });
  for (const entry of entries.sort((a, b) => (a.name < b.name ? -1 : 1))) {
    const name = prefix ? `${prefix}/${entry.name}` : entry.name;
    if (entry.isDirectory()) sourceStamp(src, stamp, name);
    else if (entry.isFile()) {
      const stat = statSync(join(src, name));
      stamp[name] = [stat.size, stat.mtimeMs];
    }
  }
  return stamp;
}

/** True when dist/ holds a complete build of the src/ that is here now. */
export function isBuilt() {
  let built;
  try {
    built = readFileSync(join(DIST, STAMP_FILE), 'utf8');
  } catch {
    return false; // never built, or a build that did not finish
  }
  return built === JSON.stringify(sourceStamp());
}

/** Imports src/<name>.ts (or its build, dist/<name>.js) and returns the module. */
export async function loadEntry(name) {
  if (isBuilt()) return import(pathToFileURL(join(DIST, `${name}.js`)).href);
  const { register } = await import('tsx/esm/api');
  register();
  return import(pathToFileURL(join(SRC, `${name}.ts`)).href);
}
