// The Synapse command table's `list-admins` cases (test/helpers/synapse-table.ts runs them on both
// dialects): the admins and their marks.
import { expect } from 'vitest';
import { seedUser } from '../helpers/seed.js';
import type { SynapseCase } from './types.js';

export const cases: SynapseCase[] = [
  {
    name: 'list-admins lists admins with their marks',
    seed: async (db) => {
      await seedUser(db, { name: '@alice:example.test', admin: true });
      await seedUser(db, { name: '@bob:example.test', admin: true, locked: true });
      await seedUser(db, { name: '@carol:example.test' });
    },
    args: ['list-admins'],
    code: 0,
    unchanged: true,
    check: async (_env, run) => {
      expect(run.json().admins).toEqual([
        expect.objectContaining({ user_id: '@alice:example.test', deactivated: false, locked: false }),
        expect.objectContaining({ user_id: '@bob:example.test', locked: true }),
      ]);
    },
  },
];
