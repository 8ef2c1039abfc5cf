// The Synapse command table's `unlock` cases (test/helpers/synapse-table.ts runs them on both
// dialects): clearing locked, suspended and shadow-banned.
import { expect } from 'vitest';
import { seedUser } from '../helpers/seed.js';
import { bool, userRow } from './helpers.js';
import type { SynapseCase } from './types.js';

export const cases: SynapseCase[] = [
  {
    name: 'unlock of a deactivated user names it in the reactivation advice',
    seed: (db) => seedUser(db, { name: '@gone:example.test', deactivated: true, locked: true, passwordHash: null }),
    args: ['unlock', 'gone'],
    code: 0,
    check: async (_env, run) => expect(run.json().warnings.join('\n')).toMatch(/Bring it back with `set-password @gone:example\.test --reactivate`/),
  },
  {
    name: 'unlock clears locked and suspended',
    seed: (db) => seedUser(db, { name: '@alice:example.test', admin: true, locked: true, suspended: true }),
    args: ['unlock', 'alice'],
    code: 0,
    check: async ({ db }) => {
      const u = await userRow(db, '@alice:example.test');
      expect(bool(u.locked)).toBe(false);
      expect(bool(u.suspended)).toBe(false);
    },
  },
  {
    name: 'unlock --unshadowban=TRUE lifts a shadow ban',
    seed: (db) => seedUser(db, { name: '@alice:example.test', admin: true, shadowBanned: true }),
    args: ['unlock', 'alice', '--unshadowban=TRUE'],
    code: 0,
    check: async ({ db }) => expect(bool((await userRow(db, '@alice:example.test')).shadow_banned)).toBe(false),
  },
];
