// The Synapse command table's `issue-token` cases (test/helpers/synapse-table.ts runs them on both
// dialects): an access token in Synapse's format.
import { expect } from 'vitest';
import { TOKEN_ID_GAP } from '../../src/synapse/tokens.js';
import { FIXED_NOW } from '../helpers/run-cli.js';
import { seedToken, seedUser } from '../helpers/seed.js';
import type { SynapseCase } from './types.js';

export const cases: SynapseCase[] = [
  {
    name: 'issue-token for a deactivated user names it in the reactivation advice',
    seed: (db) => seedUser(db, { name: '@gone:example.test', deactivated: true, passwordHash: null }),
    args: ['issue-token', 'gone'],
    code: 7,
    message: /Bring it back with `set-password @gone:example\.test --reactivate`/,
  },
  {
    name: 'issue-token writes a Synapse-format token past the id counter',
    seed: async (db) => {
      await seedUser(db, { name: '@alice:example.test', admin: true });
      await seedToken(db, '@alice:example.test', 41, 'syt_existing');
    },
    args: ['issue-token', 'alice', '--expires-in', '30m'],
    code: 0,
    check: async ({ db }, run) => {
      const { access_token: token, expires_at: expiresAt } = run.json();
      expect(token).toMatch(/^syt_YWxpY2U_[A-Za-z]{20}_[0-9A-Za-z]{6}$/);
      expect(expiresAt).toBe(new Date(FIXED_NOW + 30 * 60_000).toISOString());
      const row = await db('access_tokens').first('*').where({ token });
      expect(Number(row.id)).toBe(41 + TOKEN_ID_GAP);
      expect(row.device_id).toBeNull();
      expect(Number(row.valid_until_ms)).toBe(FIXED_NOW + 30 * 60_000);
    },
  },
  {
    name: 'issue-token with a bad duration',
    seed: (db) => seedUser(db, { name: '@alice:example.test', admin: true }),
    args: ['issue-token', 'alice', '--expires-in', 'soon'],
    code: 2,
    message: /not a duration/,
  },
  {
    name: 'issue-token with an absurd lifetime is refused before anything is written',
    seed: (db) => seedUser(db, { name: '@alice:example.test', admin: true }),
    args: ['issue-token', 'alice', '--expires-in', '99999999999999999999d'],
    code: 2,
    message: /up to 100 years/,
  },
  {
    name: 'issue-token for a suspended user, whose tokens Synapse accepts',
    seed: (db) => seedUser(db, { name: '@alice:example.test', admin: true, suspended: true }),
    args: ['issue-token', 'alice'],
    code: 0,
    check: async ({ db }) => expect(await db('access_tokens').select()).toHaveLength(1),
  },
  {
    name: 'issue-token for a locked user',
    seed: (db) => seedUser(db, { name: '@alice:example.test', admin: true, locked: true }),
    args: ['issue-token', 'alice'],
    code: 7,
    message: /unlock/,
  },
  {
    name: 'issue-token with an empty device ID',
    seed: (db) => seedUser(db, { name: '@alice:example.test', admin: true }),
    args: ['issue-token', 'alice', '--device-id', ''],
    code: 2,
    message: /--device-id is empty/,
  },
  {
    name: 'issue-token with a device ID longer than Synapse allows',
    seed: (db) => seedUser(db, { name: '@alice:example.test', admin: true }),
    args: ['issue-token', 'alice', '--device-id', 'D'.repeat(513)],
    code: 2,
    message: /at most 512/,
  },
  {
    name: 'issue-token with a device ID of 512 characters',
    seed: (db) => seedUser(db, { name: '@alice:example.test', admin: true }),
    args: ['issue-token', 'alice', '--device-id', 'D'.repeat(512)],
    code: 0,
    check: async ({ db }) => expect((await db('devices').first('device_id')).device_id).toBe('D'.repeat(512)),
  },
];
