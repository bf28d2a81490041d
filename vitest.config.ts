import { defineConfig } from 'vitest/config';

const postgresSetup = './packages/core/test/support/global-setup.ts';

const faultSuite = 'apps/server/test/faults/**/*.test.ts';

/**
 * Three projects: every suite against real PostgreSQL (TEST_DATABASE_URL or testcontainers), the
 * core suite once more on embedded PGlite, the database `pnpm start` uses by default, and the fault
 * suite, which starts PostgreSQL clusters of its own (it kills them) and needs neither.
 */
export default defineConfig({
  test: {
    testTimeout: 30_000,
    // The JSON report lets .ci/run print a plain "N passed, N failed" closing line.
    reporters: ['default', 'json'],
    outputFile: { json: 'test-results/vitest.json' },
    hookTimeout: 60_000,
    projects: [
      {
        // extends: true, so the projects inherit the timeouts and reporters above.
        extends: true,
        test: {
          name: 'postgres',
          include: ['packages/*/test/**/*.test.ts', 'apps/*/test/**/*.test.ts'],
          exclude: [faultSuite],
          globalSetup: [postgresSetup],
        },
      },
      {
        extends: true,
        test: {
          name: 'embedded',
          include: ['packages/core/test/**/*.test.ts'],
          // Round trips, named statements and races on separate sessions exist on PostgreSQL only.
          exclude: ['packages/core/test/**/*.postgres-only.test.ts'],
          env: { LEDGER_TEST_DATABASE: 'embedded' },
        },
      },
      {
        extends: true,
        test: {
          name: 'faults',
          include: [faultSuite],
        },
      },
    ],
  },
});
