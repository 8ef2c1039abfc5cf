// The Synapse command table's `set-password` cases (test/helpers/synapse-table.ts runs them on both
// dialects): a new hash, --logout, --reactivate and where the password comes from.
import { expect } from 'vitest';
import { checkPassword } from '../../src/synapse/password.js';
import { seedPusher, seedToken, seedUser } from '../helpers/seed.js';
import { PASSWORD_SETTINGS, userRow } from './helpers.js';
import type { SynapseCase } from './types.js';

/** @alice, an admin with one access token (id 7), for the --logout cases. */
const adminWithToken: NonNullable<SynapseCase['seed']> = async (db) => {
  await seedUser(db, { name: '@alice:example.test', admin: true });
  await seedToken(db, '@alice:example.test', 7, 'syt_old_token');
};

export const cases: SynapseCase[] = [
  {
    name: 'set-password --logout replaces the hash and deletes tokens',
    seed: adminWithToken,
    args: ['set-password', 'alice', '--logout', '--password-stdin'],
    input: 'brand-new-pass\n',
    code: 0,
    check: async ({ db }, run) => {
      expect(run.json()).toMatchObject({ tokens_removed: 1 });
      expect(await db('access_tokens').select()).toEqual([]);
      expect(await checkPassword('brand-new-pass', (await userRow(db, '@alice:example.test')).password_hash, PASSWORD_SETTINGS)).toBe(true);
    },
  },
  // The warning names the user it is about, as every hint does (issue 18's `<user>` defect).
  {
    name: 'set-password with password login off names the user in its issue-token advice',
    seed: (db) => seedUser(db, { name: '@alice:example.test' }),
    extraConfig: { password_config: { enabled: false } },
    args: ['set-password', 'alice', '--password-stdin'],
    input: 'brand-new-pass\n',
    code: 0,
    check: async (_world, run) => {
      expect(run.stderr).toMatch(/Password login is off/);
      expect(run.stderr).toContain('`issue-token alice`');
      expect(run.stderr).not.toContain('<user>');
      expect(run.json().warnings.join(' ')).toContain('`issue-token alice`');
    },
  },
  // A password given on the command line is hashed while the user is looked up; the user's
  // problem is still the one reported, and the password's only for a user who can have one.
  {
    name: 'set-password of a missing user with an unreadable password file reports the user',
    args: ['set-password', 'nobody', '--password-file', '/nonexistent/password'],
    code: 5,
    message: /@nobody:example\.test/,
  },
  {
    name: 'set-password of a deactivated user with a password under the policy reports the account',
    seed: (db) => seedUser(db, { name: '@gone:example.test', deactivated: true, passwordHash: null }),
    extraConfig: { password_config: { policy: { enabled: true, minimum_length: 50 } } },
    args: ['set-password', 'gone', '--password', 'short'],
    code: 7,
    message: /--reactivate/,
  },
  {
    name: 'set-password of an active user with an unreadable password file reports the file',
    seed: (db) => seedUser(db, { name: '@alice:example.test' }),
    args: ['set-password', 'alice', '--password-file', '/nonexistent/password'],
    code: 2,
    message: /given with --password-file: it does not exist/,
  },
  {
    name: 'set-password --reactivate brings an erased user back',
    seed: async (db) => {
      await seedUser(db, { name: '@gone:example.test', deactivated: true, passwordHash: null });
      await db('profiles').delete();
      await db('erased_users').insert({ user_id: '@gone:example.test' });
    },
    args: ['set-password', 'gone', '--reactivate', '--password-stdin'],
    input: 'brand-new-pass',
    code: 0,
    check: async ({ db }, run) => {
      expect(run.json()).toMatchObject({ reactivated: true });
      expect(Number((await userRow(db, '@gone:example.test')).deactivated)).toBe(0);
      expect(await db('erased_users').select()).toEqual([]);
      expect(await db('profiles').first('user_id', 'displayname')).toEqual({ user_id: 'gone', displayname: null });
      expect(await db('user_directory').first('user_id')).toEqual({ user_id: '@gone:example.test' });
    },
  },
  {
    name: 'set-password --logout=yes --password-stdin=1 deletes the access tokens',
    seed: adminWithToken,
    args: ['set-password', 'alice', '--logout=yes', '--password-stdin=1'],
    input: 'new-pass-word',
    code: 0,
    check: async ({ db }) => expect(await db('access_tokens').select()).toEqual([]),
  },
  {
    name: 'set-password --logout=no keeps the access tokens',
    seed: adminWithToken,
    args: ['set-password', 'alice', '--logout=no', '--password-stdin'],
    input: 'new-pass-word',
    code: 0,
    check: async ({ db }) => expect(await db('access_tokens').select('token')).toEqual([{ token: 'syt_old_token' }]),
  },
  {
    name: "set-password --logout deletes the user's pushers, and only the user's",
    seed: async (db) => {
      await seedUser(db, { name: '@alice:example.test', admin: true });
      await seedUser(db, { name: '@bob:example.test' });
      await seedToken(db, '@alice:example.test', 7, 'syt_old_token');
      await seedPusher(db, { id: 1, userId: '@alice:example.test', pushkey: 'phone', deviceId: 'PHONE', accessToken: 7 });
      // A pusher whose session is already gone keeps pushing in Synapse: it goes too.
      await seedPusher(db, { id: 2, userId: '@alice:example.test', pushkey: 'attacker' });
      await seedPusher(db, { id: 3, userId: '@bob:example.test', pushkey: 'bobs-phone', deviceId: 'BOB' });
    },
    args: ['set-password', 'alice', '--logout', '--password-stdin'],
    input: 'brand-new-pass\n',
    code: 0,
    check: async ({ db }, run) => {
      expect(run.json()).toMatchObject({ ok: true, tokens_removed: 1, pushers_removed: 2 });
      expect(run.json().changes).toContain('@alice:example.test: 2 pusher(s) deleted');
      expect((await db('pushers').select('user_name', 'pushkey'))).toEqual([{ user_name: '@bob:example.test', pushkey: 'bobs-phone' }]);
    },
  },
  {
    name: 'set-password without --logout leaves the pushers',
    seed: async (db) => {
      await seedUser(db, { name: '@alice:example.test', admin: true });
      await seedPusher(db, { id: 1, userId: '@alice:example.test', pushkey: 'phone', deviceId: 'PHONE' });
    },
    args: ['set-password', 'alice', '--password-stdin'],
    input: 'brand-new-pass\n',
    code: 0,
    check: async ({ db }, run) => {
      expect(run.json()).toMatchObject({ ok: true, pushers_removed: 0 });
      expect((await db('pushers').select('pushkey')).map((r) => r.pushkey)).toEqual(['phone']);
    },
  },
  {
    name: 'set-password --logout --dry-run deletes no pusher',
    seed: async (db) => {
      await seedUser(db, { name: '@alice:example.test', admin: true });
      await seedPusher(db, { id: 1, userId: '@alice:example.test', pushkey: 'phone', deviceId: 'PHONE' });
    },
    args: ['--dry-run', 'set-password', 'alice', '--logout', '--password-stdin'],
    input: 'brand-new-pass\n',
    code: 0,
    check: async (_env, run) => expect(run.json().changes).toContain('@alice:example.test: 1 pusher(s) deleted'),
  },
  {
    name: 'set-password refuses /dev/zero as --password-file as too large',
    seed: (db) => seedUser(db, { name: '@alice:example.test' }),
    args: ['set-password', 'alice', '--password-file', '/dev/zero'],
    code: 2,
    message: /The password file \/dev\/zero is larger than 64 KiB, far more than a password/,
  },
  {
    name: 'set-password refuses more than 64 KiB on --password-stdin',
    seed: (db) => seedUser(db, { name: '@alice:example.test' }),
    args: ['set-password', 'alice', '--password-stdin'],
    input: 'x'.repeat(64 * 1024 + 1),
    code: 2,
    message: /The password on stdin is larger than 64 KiB/,
  },
];
