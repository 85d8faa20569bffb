import { createHash, randomBytes } from 'node:crypto';
import {
  cpSync,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { PGlite } from '@electric-sql/pglite';
import { sql } from 'drizzle-orm';
import pg from 'pg';
import { type Db, openDatabase } from '../../src/db/client.ts';
import { MIGRATIONS_FOLDER, migrateDatabase } from '../../src/db/migrate.ts';

/**
 * The migrations run once per version of drizzle/, not once per test database: every test
 * database is a copy of one migrated template, as graphile-worker's tests do. On PostgreSQL the
 * template is a database (`CREATE DATABASE ... TEMPLATE`); on PGlite it is a data directory
 * tarball (for in-memory databases) and the same directory on disk (for the CLI's PGLITE_DIR).
 *
 * The template's name carries a hash of the migrations and of what applies them, so a new or
 * changed migration makes a new template by itself. vitest's globalSetup builds both before the
 * workers start; a worker that finds one missing builds it too, and either way two builders
 * cannot collide: the PostgreSQL one is built under an advisory lock, the PGlite files are
 * written under a private name and renamed into place.
 */

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const PGLITE_TEMPLATES = join(tmpdir(), 'sched-test-templates');
// Any fixed number, apart from src/db/migrate.ts's: concurrent runs build a template one at a time.
const TEMPLATE_LOCK_KEY = 7_301_946_332;

let key: string | undefined;

/** A hash of every migration, the migrator and the PGlite version (its data directory format). */
export function templateKey(): string {
  if (key) return key;
  const files = [
    ...readdirSync(MIGRATIONS_FOLDER)
      .filter((name) => name.endsWith('.sql'))
      .sort()
      .map((name) => join(MIGRATIONS_FOLDER, name)),
    join(MIGRATIONS_FOLDER, 'meta', '_journal.json'),
    join(ROOT, 'src', 'db', 'migrate.ts'),
    join(ROOT, 'node_modules', '@electric-sql', 'pglite', 'package.json'),
  ];
  const hash = createHash('sha256');
  for (const file of files)
    hash.update(relative(ROOT, file)).update('\0').update(readFileSync(file)).update('\0');
  key = hash.digest('hex').slice(0, 16);
  return key;
}

/** Moves a finished build into place; when another process was first, its copy stays. */
function publish(built: string, final: string): void {
  try {
    renameSync(built, final);
  } catch (error) {
    if (!existsSync(final)) throw error;
    rmSync(built, { recursive: true, force: true });
  }
}

function pglitePaths() {
  const name = `pglite-${templateKey()}`;
  return { tarball: join(PGLITE_TEMPLATES, `${name}.tar`), dir: join(PGLITE_TEMPLATES, name) };
}

/** Builds the PGlite template (tarball and directory) unless it is there already. */
export async function buildPgliteTemplate(): Promise<void> {
  const { tarball, dir } = pglitePaths();
  if (existsSync(tarball) && existsSync(dir)) return;
  mkdirSync(PGLITE_TEMPLATES, { recursive: true });
  const mine = `${process.pid}-${randomBytes(4).toString('hex')}`;
  if (!existsSync(tarball)) {
    const database = await openDatabase({ pgliteDir: 'memory://' });
    try {
      await migrateDatabase(database);
      // drizzle keeps the driver's client on $client; only the template needs PGlite's own API.
      const client = (database.db as unknown as { $client: PGlite }).$client;
      const dump = await client.dumpDataDir('none');
      writeFileSync(`${tarball}.${mine}`, new Uint8Array(await dump.arrayBuffer()));
    } finally {
      await database.close();
    }
    publish(`${tarball}.${mine}`, tarball);
  }
  if (!existsSync(dir)) {
    const building = `${dir}.${mine}`;
    const database = await openDatabase({ pgliteDir: building, pgliteTemplate: readTarball(tarball) });
    await database.close();
    publish(building, dir);
  }
}

function readTarball(path: string): Blob {
  return new Blob([readFileSync(path)]);
}

let tarball: Promise<Blob> | undefined;

/** The migrated PGlite data directory, as the tarball `openDatabase({ pgliteTemplate })` starts from. */
export function pgliteTemplate(): Promise<Blob> {
  tarball ??= buildPgliteTemplate().then(() => readTarball(pglitePaths().tarball));
  return tarball;
}

/** Fills `target` (a PGLITE_DIR that does not exist yet) with a migrated database. */
export async function copyPgliteTemplate(target: string): Promise<void> {
  await buildPgliteTemplate();
  cpSync(pglitePaths().dir, target, { recursive: true });
  const copy = await openDatabase({ pgliteDir: target });
  try {
    await installedNow(copy.db);
  } finally {
    await copy.close();
  }
}

/**
 * A copy of a template is a fresh install: the template's `installation` row says when the
 * template was migrated, maybe days ago, which would make every night since then a missed one.
 */
export async function installedNow(db: Db): Promise<void> {
  await db.execute(sql`update installation set installed_at = now()`);
}

const postgresTemplates = new Map<string, Promise<string>>();

/** The name of the migrated template database on the server of `adminUrl`, built if missing. */
export function postgresTemplate(adminUrl: string): Promise<string> {
  let name = postgresTemplates.get(adminUrl);
  if (!name) {
    name = buildPostgresTemplate(adminUrl);
    postgresTemplates.set(adminUrl, name);
  }
  return name;
}

async function buildPostgresTemplate(adminUrl: string): Promise<string> {
  const name = `sched_template_${templateKey()}`;
  const admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect();
  const exists = async () =>
    (await admin.query('select 1 from pg_database where datname = $1', [name])).rowCount === 1;
  try {
    if (await exists()) return name;
    await admin.query('select pg_advisory_lock($1)', [TEMPLATE_LOCK_KEY]);
    try {
      if (await exists()) return name;
      // A build that died half-way left this name behind; nobody else builds while we hold the lock.
      const building = `${name}_build`;
      await admin.query(`drop database if exists ${building} with (force)`);
      await admin.query(`create database ${building}`);
      const url = new URL(adminUrl);
      url.pathname = `/${building}`;
      const database = await openDatabase({ url: url.toString(), poolSize: 1 });
      try {
        await migrateDatabase(database);
      } finally {
        await database.close();
      }
      // CREATE DATABASE ... TEMPLATE refuses a source with sessions open: allow none. The rename
      // comes last, so the template's name only ever points at a finished database.
      await admin.query(`alter database ${building} with allow_connections false is_template true`);
      await admin.query(`alter database ${building} rename to ${name}`);
    } finally {
      await admin.query('select pg_advisory_unlock($1)', [TEMPLATE_LOCK_KEY]);
    }
  } finally {
    await admin.end();
  }
  return name;
}
