import { inject } from 'vitest';
import type { PgServer } from './postgres.js';

/** What the global setup made once for the whole run, handed to every test file. */
export interface E2eContext {
  runDir: string;
  chroot: string;
  synapseVersion: string;
  pg: PgServer;
}

declare module 'vitest' {
  export interface ProvidedContext {
    sabE2e: E2eContext;
  }
}

export function e2eContext(): E2eContext {
  return inject('sabE2e');
}
