// The Synapse command table's `register` cases (test/helpers/synapse-table.ts runs them on both
// dialects): a new user as Synapse writes one, and --exists-ok on an existing one.
import { expect } from 'vitest';
import { dialectOf, rawRows } from '../../src/database/dialect.js';
import { checkPassword } from '../../src/synapse/password.js';
import { freshDatabase, writeHomeserverYaml } from '../helpers/databases.js';
import { FIXED_NOW } from '../helpers/run-cli.js';
import { seedRacingRegistration, seedUser, snapshot } from '../helpers/seed.js';
import { HS, PASSWORD_SETTINGS, bool, userRow } from './helpers.js';
import type { SynapseCase, SynapseTest } from './types.js';

export const cases: SynapseCase[] = [
  {
    name: 'register --exists-ok of a deactivated user names it in the reactivation advice',
    seed: (db) => seedUser(db, { name: '@gone:example.test', deactivated: true, passwordHash: null }),
    args: ['register', 'gone', '--admin', '--exists-ok'],
    code: 7,
    message: /Bring it back with `set-password @gone:example\.test --reactivate`/,
  },
  {
    name: 'register creates a user as Synapse does',
    args: ['register', 'alice', '--admin', '--password-stdin'],
    input: 'sesame-Open-42\n',
    code: 0,
    check: async ({ db }, run) => {
      expect(run.json()).toMatchObject({ ok: true, created: true, admin: true, user_id: '@alice:example.test' });
      expect(run.stdout).not.toMatch(/sesame/);
      const u = await userRow(db, '@alice:example.test');
      expect(Number(u.admin)).toBe(1);
      expect(Number(u.creation_ts)).toBe(Math.floor(FIXED_NOW / 1000));
      expect(Number(u.is_guest)).toBe(0);
      expect(Number(u.deactivated)).toBe(0);
      expect(u.user_type).toBeNull();
      expect(bool(u.approved)).toBe(true);
      expect(bool(u.shadow_banned)).toBe(false);
      expect(await checkPassword('sesame-Open-42', u.password_hash, PASSWORD_SETTINGS)).toBe(true);
      expect(await db('profiles').first('user_id', 'displayname', 'full_user_id')).toEqual({
        user_id: 'alice',
        displayname: 'alice',
        full_user_id: '@alice:example.test',
      });
      expect(await db('user_directory').first('user_id', 'display_name')).toEqual({
        user_id: '@alice:example.test',
        display_name: 'alice',
      });
      expect(await db('user_stats_current').first('user_id', 'joined_rooms')).toMatchObject({ user_id: '@alice:example.test' });
      const search = (await snapshot(db)).user_directory_search as Array<{ value: string }>;
      expect(search).toHaveLength(1);
      expect(search[0]!.value).toMatch(dialectOf(db) === 'sqlite' ? /^@alice:example\.test alice$/ : /'alice':\d+A/);
    },
  },
  {
    name: 'register a bot with a display name indexes it lowercased',
    args: ['register', 'helper', '--no-admin', '--displayname', 'Ｈelper Bot', '--user-type', 'bot', '--password-stdin'],
    input: 'pw-for-the-bot',
    code: 0,
    check: async ({ db }) => {
      expect((await userRow(db, '@helper:example.test')).user_type).toBe('bot');
      expect(await db('profiles').first('displayname')).toEqual({ displayname: 'Ｈelper Bot' });
      const search = (await snapshot(db)).user_directory_search as Array<{ value: string }>;
      expect(search[0]!.value).toMatch(dialectOf(db) === 'sqlite' ? /^@helper:example\.test helper bot$/ : /'bot':\d+B/);
    },
  },
  {
    name: 'register a support user keeps it out of the user directory',
    args: ['register', 'support', '--no-admin', '--user-type', 'support', '--password-stdin'],
    input: 'pw-for-support',
    code: 0,
    check: async ({ db }) => {
      expect(await db('user_directory').select()).toEqual([]);
      expect(await db('profiles').first('displayname')).toEqual({ displayname: 'support' });
    },
  },
  {
    name: 'register --random-password prints the password once, and it works',
    args: ['register', 'carol', '--no-admin', '--random-password'],
    code: 0,
    check: async ({ db }, run) => {
      const { password } = run.json();
      expect(password).toMatch(/^\S{20,}$/);
      expect(await checkPassword(password, (await userRow(db, '@carol:example.test')).password_hash, PASSWORD_SETTINGS)).toBe(true);
    },
  },
  {
    name: 'register of an existing user',
    seed: (db) => seedUser(db, { name: '@alice:example.test' }),
    args: ['register', 'alice', '--admin', '--password-stdin'],
    input: 'whatever-pass',
    code: 6,
    message: /already exists.*--exists-ok/,
  },
  {
    name: 'register --exists-ok applies --admin and leaves the password alone',
    seed: (db) => seedUser(db, { name: '@alice:example.test' }),
    args: ['register', 'alice', '--admin', '--exists-ok', '--password-stdin'],
    input: 'whatever-pass',
    code: 0,
    check: async ({ db }, run) => {
      expect(run.json()).toMatchObject({ created: false, changed: true });
      const u = await userRow(db, '@alice:example.test');
      expect(Number(u.admin)).toBe(1);
      expect(u.password_hash).toMatch(/invalid/);
    },
  },
  {
    name: 'register --exists-ok on an existing user needs no password at all',
    seed: (db) => seedUser(db, { name: '@alice:example.test', admin: true }),
    args: ['register', 'alice', '--admin', '--exists-ok'],
    code: 0,
    unchanged: true,
    check: async (_env, run) => expect(run.json()).toMatchObject({ created: false, changed: false }),
  },
  {
    name: 'register uses user_types.default_user_type when no type is asked for',
    extraConfig: { user_types: { default_user_type: 'staff', extra_user_types: ['staff'] } },
    args: ['register', 'carol', '--no-admin', '--password-stdin'],
    input: 'pw-pw-pw-pw',
    code: 0,
    check: async ({ db }) => expect((await userRow(db, '@carol:example.test')).user_type).toBe('staff'),
  },
  {
    name: 'register refuses a user type the server does not know',
    args: ['register', 'carol', '--no-admin', '--user-type', 'robot', '--password-stdin'],
    input: 'pw-pw-pw-pw',
    code: 2,
    message: /--user-type robot is not a user type of this server: use support, bot/,
  },
  {
    name: 'register with an empty display name writes no profile, as Synapse',
    args: ['register', 'carol', '--no-admin', '--displayname', '', '--password-stdin'],
    input: 'pw-pw-pw-pw',
    code: 0,
    check: async ({ db }) => {
      expect(await db('profiles').select()).toEqual([]);
      expect(await db('user_directory').first('user_id', 'display_name')).toEqual({ user_id: '@carol:example.test', display_name: null });
    },
  },
  {
    name: 'register with stats disabled writes no user_stats_current row',
    extraConfig: { stats: { enabled: false } },
    args: ['register', 'carol', '--no-admin', '--password-stdin'],
    input: 'pw-pw-pw-pw',
    code: 0,
    check: async ({ db }) => expect(await db('user_stats_current').select()).toEqual([]),
  },
  {
    name: "register inside an app service's non-exclusive namespace keeps it out of the directory",
    extraConfig: { app_service_config_files: ['__DIR__/irc.yaml'] },
    args: ['register', 'bridged_carol', '--no-admin', '--password-stdin'],
    input: 'pw-pw-pw-pw',
    code: 0,
    check: async ({ db }) => {
      expect(await userRow(db, '@bridged_carol:example.test')).toBeDefined();
      expect(await db('user_directory').select()).toEqual([]);
    },
  },
  {
    name: 'register loses a race to a concurrent registration with exit 6',
    seed: seedRacingRegistration,
    args: ['register', 'carol', '--no-admin', '--password-stdin'],
    input: 'pw-pw-pw-pw',
    code: 6,
    message: /created while this command ran/,
  },
  {
    name: 'register of a name that differs only in case',
    seed: (db) => seedUser(db, { name: '@Alice:example.test' }),
    args: ['register', 'alice', '--admin', '--password-stdin'],
    input: 'whatever-pass',
    code: 6,
    message: /@Alice:example\.test is taken/,
  },
  {
    name: 'register of an invalid localpart',
    args: ['register', 'al ice', '--admin', '--password-stdin'],
    input: 'whatever-pass',
    code: 2,
  },
  {
    name: 'register of an upper-case localpart',
    args: ['register', 'Alice', '--admin', '--password-stdin'],
    input: 'whatever-pass',
    code: 2,
  },
  {
    name: "register inside an app service's exclusive namespace",
    extraConfig: { app_service_config_files: ['__DIR__/irc.yaml'] },
    args: ['register', 'irc_alice', '--admin', '--password-stdin'],
    input: 'whatever-pass',
    code: 2,
    message: /reserved by application service "irc"/,
  },
  {
    name: 'register without --admin or --no-admin off a terminal',
    args: ['register', 'alice', '--password-stdin'],
    input: 'whatever-pass',
    code: 2,
    message: /--admin or --no-admin/,
  },
  {
    name: 'register with a password that fails the policy',
    extraConfig: { password_config: { policy: { enabled: true, minimum_length: 12, require_digit: true } } },
    args: ['register', 'alice', '--admin', '--password-stdin'],
    input: 'short',
    code: 2,
    message: /policy/,
  },
  {
    name: 'register hashes with the pepper and rounds from the config',
    extraConfig: { password_config: { pepper: 'p3pp3r' }, bcrypt_rounds: 5 },
    args: ['register', 'alice', '--admin', '--password-stdin'],
    input: 'Åpfel-ﬁx',
    code: 0,
    check: async ({ db }) => {
      const { password_hash: hash } = await userRow(db, '@alice:example.test');
      expect(hash).toMatch(/^\$2b\$05\$/);
      expect(await checkPassword('Åpfel-ﬁx', hash, { pepper: 'p3pp3r' })).toBe(true);
      expect(await checkPassword('Åpfel-ﬁx', hash, PASSWORD_SETTINGS)).toBe(false);
    },
  },
  // Command-line values as scripts write them (issue 7): booleans spelled by Jinja, YAML and shell.
  {
    name: 'register --admin=True, as Jinja writes it, makes a server admin',
    args: ['register', 'carol', '--admin=True', '--password-stdin'],
    input: 'pw-pw-pw-pw',
    code: 0,
    check: async ({ db }, run) => {
      expect(run.json()).toMatchObject({ created: true, admin: true });
      expect(Number((await userRow(db, '@carol:example.test')).admin)).toBe(1);
    },
  },
  {
    name: 'register --admin=True --exists-ok keeps an existing admin an admin',
    seed: (db) => seedUser(db, { name: '@alice:example.test', admin: true }),
    args: ['register', 'alice', '--admin=True', '--exists-ok=yes'],
    code: 0,
    unchanged: true,
    check: async (_env, run) => expect(run.json()).toMatchObject({ created: false, changed: false, admin: true }),
  },
  {
    name: 'register --admin=1 --exists-ok=On promotes an existing plain user',
    seed: (db) => seedUser(db, { name: '@alice:example.test' }),
    args: ['register', 'alice', '--admin=1', '--exists-ok=On'],
    code: 0,
    check: async ({ db }) => expect(Number((await userRow(db, '@alice:example.test')).admin)).toBe(1),
  },
  {
    name: 'register --admin=FALSE makes a plain user',
    args: ['register', 'carol', '--admin=FALSE', '--password-stdin'],
    input: 'pw-pw-pw-pw',
    code: 0,
    check: async ({ db }) => expect(Number((await userRow(db, '@carol:example.test')).admin)).toBe(0),
  },
  {
    name: 'register --no-admin=false means --admin',
    args: ['register', 'carol', '--no-admin=false', '--password-stdin'],
    input: 'pw-pw-pw-pw',
    code: 0,
    check: async ({ db }) => expect(Number((await userRow(db, '@carol:example.test')).admin)).toBe(1),
  },
  {
    name: 'register --admin=maybe --exists-ok is refused, and the admin stays an admin',
    seed: (db) => seedUser(db, { name: '@alice:example.test', admin: true }),
    args: ['register', 'alice', '--admin=maybe', '--exists-ok'],
    code: 2,
    message: /The value given to --admin is not a boolean/,
  },
  {
    name: 'register --admin --no-admin is refused',
    seed: (db) => seedUser(db, { name: '@alice:example.test', admin: true }),
    args: ['register', 'alice', '--admin', '--no-admin', '--exists-ok'],
    code: 2,
    message: /--admin is given both as true and as false/,
  },
  {
    name: 'register with a display name of 256 code points, 512 UTF-16 units, stores it whole',
    args: ['register', 'carol', '--no-admin', '--displayname', '😀'.repeat(256), '--password-stdin'],
    input: 'pw-pw-pw-pw',
    code: 0,
    check: async ({ db }) => expect((await db('profiles').first('displayname')).displayname).toBe('😀'.repeat(256)),
  },
  {
    name: 'register with a display name longer than Synapse allows',
    args: ['register', 'carol', '--no-admin', '--displayname', 'x'.repeat(257), '--password-stdin'],
    input: 'pw-pw-pw-pw',
    code: 2,
    message: /--displayname is 257 characters long; Synapse allows at most 256/,
  },
  {
    name: 'register with a NUL in the display name, which PostgreSQL cannot store',
    args: ['register', 'carol', '--no-admin', '--displayname', 'car\0ol', '--password-stdin'],
    input: 'pw-pw-pw-pw',
    code: 2,
    message: /control character U\+0000/,
  },
  // Issue 7: user operations (last-admin warning, pushers on logout, races, legacy case, foreign database).
  {
    name: 'register --exists-ok --no-admin on the last usable admin warns exactly as demote does',
    seed: (db) => seedUser(db, { name: '@alice:example.test', admin: true }),
    args: ['register', 'alice', '--exists-ok', '--no-admin'],
    code: 0,
    check: async (env, run) => {
      expect(run.json()).toMatchObject({ ok: true, created: false, changed: true, admin: false });
      const warning = run.json().warnings;
      expect(warning).toEqual(['No usable server admin is left. Make one with `promote <user>` or `register <user> --admin`.']);
      expect((await env.run(['promote', 'alice'])).code).toBe(0);
      expect((await env.run(['demote', 'alice'])).json().warnings).toEqual(warning);
    },
  },
  {
    name: 'register --exists-ok --no-admin leaves no warning while another usable admin remains',
    seed: async (db) => {
      await seedUser(db, { name: '@alice:example.test', admin: true });
      await seedUser(db, { name: '@bob:example.test', admin: true });
    },
    args: ['register', 'alice', '--exists-ok', '--no-admin'],
    code: 0,
    check: async (_env, run) => expect(run.json()).toMatchObject({ changed: true, warnings: [] }),
  },
  {
    name: 'register --exists-ok keeps a legacy mixed-case user given as it is spelled',
    seed: (db) => seedUser(db, { name: '@Frank:example.test' }),
    args: ['register', 'Frank', '--exists-ok', '--admin'],
    code: 0,
    check: async ({ db }, run) => {
      expect(run.json()).toMatchObject({ ok: true, user_id: '@Frank:example.test', created: false, admin: true });
      expect(Number((await userRow(db, '@Frank:example.test')).admin)).toBe(1);
      expect((await db('users').select('name')).map((r) => r.name)).toEqual(['@Frank:example.test']);
    },
  },
  {
    name: 'register --exists-ok finds a legacy mixed-case user case-insensitively, as promote does',
    seed: (db) => seedUser(db, { name: '@Frank:example.test', admin: true }),
    args: ['register', 'frank', '--exists-ok', '--admin'],
    code: 0,
    unchanged: true,
    check: async (_env, run) => expect(run.json()).toMatchObject({ ok: true, user_id: '@Frank:example.test', created: false, changed: false }),
  },
  {
    name: 'register --exists-ok that loses a race takes the racing user, with the admin flag asked for',
    seed: seedRacingRegistration,
    args: ['register', 'carol', '--admin', '--exists-ok', '--password-stdin'],
    input: 'pw-pw-pw-pw',
    code: 0,
    check: async ({ db }, run) => {
      expect(run.json()).toMatchObject({ ok: true, user_id: '@carol:example.test', created: false, changed: true, admin: true });
      const rows = await db('users').select('name', 'admin', 'creation_ts');
      expect(rows.map((r) => [r.name, Number(r.admin), Number(r.creation_ts)])).toEqual([['@carol:example.test', 1, 0]]);
      expect(await db('profiles').select()).toEqual([]);
    },
  },
];

/** Tests beside the table that need more than one run or database. */
export const tests: SynapseTest[] = [
  {
    name: 'register works on the oldest supported schema, 72',
    async run(env, dialect) {
      const old = await freshDatabase(dialect, 72);
      try {
        await writeHomeserverYaml(env.dir, { serverName: HS, database: old.settings, extra: { bcrypt_rounds: 4 } });
        const run = await env.run(['register', 'alice', '--admin', '--password-stdin'], 'pw-on-old-schema');
        expect(run.code).toBe(0);
        expect(Number((await old.knex('users').first('admin')).admin)).toBe(1);
        expect(await old.knex('profiles').first('user_id', 'displayname')).toMatchObject({ user_id: 'alice', displayname: 'alice' });
        const versions = rawRows<{ version: number }>(dialect, await old.knex.raw('SELECT version FROM schema_version'));
        expect(Number(versions[0]!.version)).toBe(72);
      } finally {
        await old.cleanup();
      }
    },
  },
];
