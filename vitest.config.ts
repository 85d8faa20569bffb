import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // Migrations run once, into templates every test database is copied from; at the end of a
    // file its databases are closed and dropped, or kept when one of its tests failed.
    globalSetup: ['test/support/global-setup.ts'],
    setupFiles: ['test/support/setup.ts'],
    pool: 'forks',
    // Three files at a time on two cores: many files spend their time waiting (a minute of 429s,
    // worker processes, PostgreSQL restarts), not computing. Measured on the whole suite: 460 s
    // with two, 363 s with three. Generous timeouts: a shared, busy machine must slow the suite
    // down, never fail it.
    maxWorkers: 3,
    // Files share their worker process: a new process per file paid Node's start, the imports
    // and PGlite's WebAssembly compile every time, about 40% of a database file's CPU time.
    // Nothing in src or test keeps global state (no module mocks, no stubbed globals or env,
    // process listeners removed on stop), and setup.ts closes any database a file left open.
    isolate: false,
    testTimeout: 180_000,
    hookTimeout: 180_000,
  },
});
