import { availableParallelism } from 'node:os';
import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    // A test file mostly waits: on PostgreSQL, which runs in processes of its own, on child
    // processes and on hashing in libuv's pool. Measured on 2 cores (whole suite, loaded machine):
    // 2 workers 208 s, 3 workers 153 s, 4 workers 110 s; vitest's default is cores - 1. At most
    // 8: the test PostgreSQL takes 100 connections, and a worker may hold a dozen at once.
    pool: 'forks',
    maxWorkers: Math.min(8, availableParallelism() + 2),
    include: ['test/**/*.test.ts'],
    exclude: ['test/e2e/**'],
    globalSetup: ['test/setup/postgres.ts', 'test/setup/bundle.ts'],
    setupFiles: ['test/setup/leftovers.ts'],
    testTimeout: 30_000,
    hookTimeout: 120_000,
  },
});
