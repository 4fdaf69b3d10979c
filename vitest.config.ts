import { defineConfig } from 'vitest/config';

// With DATABASE_URL the suite runs against that PostgreSQL server, in a fresh
// database per run; without it, against the embedded PGlite, which runs one
// transaction at a time: test files then run one after another.
export default defineConfig({
  test: {
    include: ['src/**/*.test.ts', 'test/**/*.test.ts'],
    // Browser tests need Debian's chromium: `npm run test:e2e` (CI runs both).
    exclude: ['**/node_modules/**', '**/*.e2e.test.ts'],
    globalSetup: ['test/global-setup.ts', 'test/openapi-global-setup.ts'],
    // Every answer a test's app gives is checked against /openapi.json (test/helpers/openapi-check.ts).
    setupFiles: ['test/helpers/openapi-setup.ts'],
    fileParallelism: Boolean(process.env.DATABASE_URL),
    maxWorkers: process.env.DATABASE_URL ? 2 : 1,
    testTimeout: 60_000,
    hookTimeout: 120_000,
    env: { LOG_LEVEL: process.env.LOG_LEVEL ?? 'silent' },
  },
});
