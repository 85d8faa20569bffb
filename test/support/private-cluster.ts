import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { freePort } from './free-port.ts';

/**
 * A PostgreSQL 15 cluster of the test's own (pg_createcluster on a free port, trust auth), for
 * tests that must stop or limit the server: the shared one is never restarted or reconfigured.
 */

const VERSION = '15';

/** pg_createcluster is there and we may run it (root, as in the development container). */
export const canCreateCluster = existsSync('/usr/bin/pg_createcluster') && process.getuid?.() === 0;

export interface PrivateCluster {
  port: number;
  /** postgres:// URL of `database` as `user` (the superuser postgres by default). */
  url(database: string, user?: string): string;
  sql(statement: string, database?: string): string;
  /** pg_ctlcluster stop: `fast` rolls back and disconnects; `immediate` is a crash, recovered at start. */
  stop(mode?: 'fast' | 'immediate'): void;
  start(): void;
  drop(): void;
}

/** `settings`: postgresql.conf values of the new cluster (max_connections...). */
export async function createPrivateCluster(
  options: { settings?: Record<string, string | number> } = {},
): Promise<PrivateCluster> {
  const port = await freePort();
  const name = `sched_test_${process.pid}_${port}`;
  const run = (command: string, args: string[]) =>
    execFileSync(command, args, { stdio: ['ignore', 'pipe', 'pipe'], encoding: 'utf8' });
  const settings = Object.entries(options.settings ?? {}).flatMap(([key, value]) => [
    '-o',
    `${key}=${value}`,
  ]);
  run('pg_createcluster', [...settings, VERSION, name, '-p', String(port), '--start', '--', '--auth=trust']);
  const cluster: PrivateCluster = {
    port,
    url: (database, user = 'postgres') => `postgres://${user}@127.0.0.1:${port}/${database}`,
    sql: (statement, database = 'postgres') =>
      run('psql', ['-X', '-q', '-v', 'ON_ERROR_STOP=1', '-At', '-c', statement, cluster.url(database)]),
    stop: (mode = 'fast') => run('pg_ctlcluster', [VERSION, name, 'stop', '-m', mode]),
    start: () => run('pg_ctlcluster', [VERSION, name, 'start']),
    drop: () => run('pg_dropcluster', [VERSION, name, '--stop']),
  };
  return cluster;
}
