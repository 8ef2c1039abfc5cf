import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    exclude: ['test/e2e/**'],
    globalSetup: ['test/setup/postgres.ts'],
    setupFiles: ['test/setup/leftovers.ts'],
    testTimeout: 30_000,
    hookTimeout: 120_000,
  },
});
