import { defineConfig } from 'vitest/config';

// The fast suite (`npm test`): unit and small integration tests. Whole-pipeline scenarios live in
// test/e2e/ and run with `npm run test:e2e` (vitest.e2e.config.ts); .ci/run runs both.
export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    exclude: ['test/e2e/**', '**/node_modules/**'],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    pool: 'forks',
    globalSetup: ['test/global-setup.ts'],
  },
});
