import { defineConfig } from 'vitest/config';

// The end-to-end suite (`npm run test:e2e`): whole runs through the built CLI, read back with DuckDB.
// Generous timeouts: they must hold on a loaded 2-core machine.
export default defineConfig({
  test: {
    include: ['test/e2e/**/*.test.ts'],
    testTimeout: 240_000,
    hookTimeout: 240_000,
    pool: 'forks',
    globalSetup: ['test/global-setup.ts'],
  },
});
