// The Synapse command table's `check` cases (test/helpers/synapse-table.ts runs them on both
// dialects): the health report and check <users..>.
import { expect } from 'vitest';
import { dialectOf } from '../../src/database/dialect.js';
import { seedUser } from '../helpers/seed.js';
import { HS } from './helpers.js';
import type { SynapseCase } from './types.js';

export const cases: SynapseCase[] = [
  {
    name: 'check reports a healthy server',
    seed: (db) => seedUser(db, { name: '@alice:example.test', admin: true }),
    args: ['check'],
    code: 0,
    unchanged: true,
    check: async ({ db }, run) => {
      expect(run.json()).toMatchObject({
        ok: true,
        engine: dialectOf(db),
        schema_version: 94,
        admins: 1,
        synapse_running: false,
        server_name: HS,
      });
    },
  },
  {
    name: 'check <users..> says whether each named user exists',
    seed: (db) => seedUser(db, { name: '@alice:example.test', admin: true }),
    args: ['check', 'alice', '@nobody:example.test'],
    code: 0,
    unchanged: true,
    check: async (_env, run) =>
      expect(run.json().users_checked).toEqual([
        // The same keys as on MAS (issue 18): what does not apply here is null.
        { user_id: '@alice:example.test', in_synapse: true, in_mas: null, mas_username: null, meaning: 'exists' },
        { user_id: '@nobody:example.test', in_synapse: false, in_mas: null, mas_username: null, meaning: "not in Synapse's users table" },
      ]),
  },
  {
    name: 'check <users..> refuses a user of another server',
    args: ['check', '@alice:elsewhere.test'],
    code: 2,
    message: /elsewhere\.test/,
  },
  {
    name: 'check with no usable admin',
    seed: (db) => seedUser(db, { name: '@alice:example.test', admin: true, deactivated: true }),
    args: ['check'],
    code: 5,
    check: async (_env, run) => expect(run.json()).toMatchObject({ ok: false, admins: 1, usable_admins: 0, synapse_running: false }),
  },
];
