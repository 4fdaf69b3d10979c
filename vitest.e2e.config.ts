import { defineConfig } from 'vitest/config';
import base from './vitest.config.js';

// Browser tests (headless Debian chromium through playwright-core): same
// database setup as the main suite, only the *.e2e.test.ts files.
export default defineConfig({
  test: {
    ...base.test,
    include: ['test/**/*.e2e.test.ts'],
    exclude: ['**/node_modules/**'],
  },
});
