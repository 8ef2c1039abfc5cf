import { defineConfig } from 'vitest/config';

// The end-to-end suite: a real Synapse in a chroot, a real PostgreSQL, the built CLI.
export default defineConfig({
  test: {
    include: ['test/e2e/**/*.test.ts'],
    globalSetup: ['test/e2e/harness/global-setup.ts'],
    pool: 'forks',
    // Two Synapses at a time fill the two cores.
    maxWorkers: 2,
    testTimeout: 120_000,
    hookTimeout: 300_000,
  },
});
