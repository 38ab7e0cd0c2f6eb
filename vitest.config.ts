import { availableParallelism } from 'node:os';
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
    // Vitest leaves one CPU idle by default, which on a 2-core machine means one test file at a time (146 s
    // instead of 84 s here). The end-to-end suite keeps that default: its runs use every core themselves.
    maxWorkers: Math.max(2, availableParallelism()),
    globalSetup: ['test/global-setup.ts'],
  },
});
