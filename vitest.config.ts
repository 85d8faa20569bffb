import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // Migrations run once, into templates every test database is copied from; each file's
    // PostgreSQL databases are dropped at its end, or kept when one of its tests failed.
    globalSetup: ['test/support/global-setup.ts'],
    setupFiles: ['test/support/setup.ts'],
    pool: 'forks',
    // Two cores: more parallel files only make the embedded databases fight for CPU. Generous
    // timeouts: a shared, busy machine must slow the suite down, never fail it.
    maxWorkers: 2,
    testTimeout: 180_000,
    hookTimeout: 180_000,
  },
});
