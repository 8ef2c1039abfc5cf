// The Synapse command table's `demote` cases (test/helpers/synapse-table.ts runs them on both
// dialects): taking admin away.
import { expect } from 'vitest';
import { seedUser } from '../helpers/seed.js';
import { userRow } from './helpers.js';
import type { SynapseCase } from './types.js';

export const cases: SynapseCase[] = [
  {
    name: 'demote takes admin away and warns when none is left',
    seed: (db) => seedUser(db, { name: '@alice:example.test', admin: true }),
    args: ['demote', 'alice'],
    code: 0,
    check: async ({ db }, run) => {
      expect(Number((await userRow(db, '@alice:example.test')).admin)).toBe(0);
      expect(run.json().warnings.join(' ')).toMatch(/No usable server admin/);
    },
  },
  {
    name: 'demote --logout without MAS: the flag applies to every session at once, and it says so',
    seed: (db) => seedUser(db, { name: '@alice:example.test', admin: true }),
    args: ['demote', 'alice', '--logout'],
    code: 0,
    check: async ({ db }, run) => {
      expect(Number((await userRow(db, '@alice:example.test')).admin)).toBe(0);
      expect(run.json().warnings.join('\n')).toMatch(/--logout matters only with matrix-authentication-service/);
    },
  },
];
