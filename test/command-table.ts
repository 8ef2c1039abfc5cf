// One table of command cases, run on SQLite (test/commands-sqlite.test.ts) and on a real PostgreSQL
// (test/commands-postgres.test.ts): two files, so that vitest can give them to different workers.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Knex } from 'knex';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { DatabaseSettings } from '../src/database/settings.js';
import { dialectOf, rawRows } from '../src/database/dialect.js';
import { checkPassword, hashPassword } from '../src/synapse/password.js';
import { TOKEN_ID_GAP } from '../src/synapse/tokens.js';
import { freshDatabase, writeHomeserverYaml, type TestDialect } from './helpers/databases.js';
import { startFakeSynapse } from './helpers/fake-synapse.js';
import { FIXED_NOW, cli, type CliRun } from './helpers/run-cli.js';
import { playCase, type TableCase } from './helpers/table-case.js';
import { seedPusher, seedRacingRegistration, seedToken, seedUser, snapshot } from './helpers/seed.js';

const HS = 'example.test';
const PASSWORD_SETTINGS = { pepper: '' };

interface Env {
  db: Knex;
  dir: string;
  config: string;
  settings: DatabaseSettings;
  run(args: string[], input?: string): Promise<CliRun>;
}

/** A row of the table; the checks every row gets are in test/helpers/table-case.ts. */
interface Case extends TableCase<Env> {
  name: string;
  seed?: (db: Knex) => Promise<void>;
  extraConfig?: Record<string, unknown>;
  /** Files written into the case's directory first (apply files, password files); __DIR__ is that directory. */
  files?: Record<string, string | Buffer>;
}


async function userRow(db: Knex, name: string) {
  return db('users').first('*').where({ name });
}

const bool = (v: unknown) => v === true || v === 1;

const cases: Case[] = [
  {
    name: 'promote makes an existing user admin',
    seed: (db) => seedUser(db, { name: '@alice:example.test' }),
    args: ['promote', 'alice'],
    code: 0,
    check: async ({ db }, run) => {
      expect(Number((await userRow(db, '@alice:example.test')).admin)).toBe(1);
      expect(run.json()).toMatchObject({ ok: true, user_id: '@alice:example.test', changed: true });
    },
  },
  {
    name: 'promote of an admin changes nothing and succeeds',
    seed: (db) => seedUser(db, { name: '@alice:example.test', admin: true }),
    args: ['promote', '@alice:example.test'],
    code: 0,
    unchanged: true,
    check: async (_env, run) => expect(run.json()).toMatchObject({ ok: true, changed: false }),
  },
  {
    name: 'promote finds a user case-insensitively',
    seed: (db) => seedUser(db, { name: '@Alice:example.test' }),
    args: ['promote', 'alice'],
    code: 0,
    check: async ({ db }, run) => {
      expect(run.json().user_id).toBe('@Alice:example.test');
      expect(Number((await userRow(db, '@Alice:example.test')).admin)).toBe(1);
    },
  },
  {
    name: 'promote --dry-run writes nothing',
    seed: (db) => seedUser(db, { name: '@alice:example.test' }),
    args: ['--dry-run', 'promote', 'alice'],
    code: 0,
    check: async (_env, run) => expect(run.json()).toMatchObject({ changed: true, dry_run: true, changes: ['@alice:example.test: admin 0 -> 1'] }),
  },
  { name: 'promote of a missing user', args: ['promote', 'nobody'], code: 5, message: /@nobody:example.test does not exist/ },
  {
    name: 'promote of a user of another server',
    args: ['promote', '@alice:elsewhere.test'],
    code: 2,
    message: /elsewhere\.test/,
  },
  {
    name: 'promote of a deactivated user',
    seed: (db) => seedUser(db, { name: '@gone:example.test', deactivated: true, passwordHash: null }),
    args: ['promote', 'gone'],
    code: 7,
    message: /deactivated.*--reactivate/,
  },
  // The reactivation advice names the user, never a literal <user>, on every path that gives it.
  {
    name: 'promote of a deactivated user names it in the reactivation advice',
    seed: (db) => seedUser(db, { name: '@gone:example.test', deactivated: true, passwordHash: null }),
    args: ['promote', 'gone'],
    code: 7,
    message: /Bring it back with `set-password @gone:example\.test --reactivate`/,
  },
  {
    name: 'issue-token for a deactivated user names it in the reactivation advice',
    seed: (db) => seedUser(db, { name: '@gone:example.test', deactivated: true, passwordHash: null }),
    args: ['issue-token', 'gone'],
    code: 7,
    message: /Bring it back with `set-password @gone:example\.test --reactivate`/,
  },
  {
    name: 'register --exists-ok of a deactivated user names it in the reactivation advice',
    seed: (db) => seedUser(db, { name: '@gone:example.test', deactivated: true, passwordHash: null }),
    args: ['register', 'gone', '--admin', '--exists-ok'],
    code: 7,
    message: /Bring it back with `set-password @gone:example\.test --reactivate`/,
  },
  {
    name: 'apply to a deactivated user names it in the reactivation advice',
    seed: (db) => seedUser(db, { name: '@gone:example.test', deactivated: true, passwordHash: null }),
    files: { 'users.yaml': 'users:\n  - {user: gone}\n' },
    args: ['apply', 'users.yaml'],
    code: 2,
    message: /Bring it back with `set-password @gone:example\.test --reactivate`/,
  },
  {
    name: 'unlock of a deactivated user names it in the reactivation advice',
    seed: (db) => seedUser(db, { name: '@gone:example.test', deactivated: true, locked: true, passwordHash: null }),
    args: ['unlock', 'gone'],
    code: 0,
    check: async (_env, run) => expect(run.json().warnings.join('\n')).toMatch(/Bring it back with `set-password @gone:example\.test --reactivate`/),
  },
  {
    name: 'promote of a guest',
    seed: (db) => seedUser(db, { name: '@123:example.test', isGuest: true }),
    args: ['promote', '123'],
    code: 7,
    message: /guest/,
  },
  {
    name: 'promote of an app-service user',
    seed: (db) => seedUser(db, { name: '@irc_bob:example.test', appserviceId: 'irc' }),
    args: ['promote', 'irc_bob'],
    code: 7,
    message: /application service "irc"/,
  },
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
    name: 'set-password of a missing user fails before asking for a password',
    args: ['set-password', 'nobody'],
    code: 5,
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
    name: 'register --dry-run writes nothing',
    args: ['--dry-run', 'register', 'alice', '--admin', '--password-stdin'],
    input: 'whatever-pass',
    code: 0,
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
  {
    name: 'set-password --logout replaces the hash and deletes tokens',
    seed: async (db) => {
      await seedUser(db, { name: '@alice:example.test', admin: true });
      await seedToken(db, '@alice:example.test', 7, 'syt_old_token');
    },
    args: ['set-password', 'alice', '--logout', '--password-stdin'],
    input: 'brand-new-pass\n',
    code: 0,
    check: async ({ db }, run) => {
      expect(run.json()).toMatchObject({ tokens_removed: 1 });
      expect(await db('access_tokens').select()).toEqual([]);
      expect(await checkPassword('brand-new-pass', (await userRow(db, '@alice:example.test')).password_hash, PASSWORD_SETTINGS)).toBe(true);
    },
  },
  {
    name: 'set-password of a deactivated user without --reactivate',
    seed: (db) => seedUser(db, { name: '@gone:example.test', deactivated: true, passwordHash: null }),
    args: ['set-password', 'gone', '--password-stdin'],
    input: 'brand-new-pass',
    code: 7,
    message: /--reactivate/,
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
    name: 'issue-token for a suspended user (Synapse accepts its tokens)',
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
    name: 'demote --logout without MAS: the flag applies to every session at once, and it says so',
    seed: (db) => seedUser(db, { name: '@alice:example.test', admin: true }),
    args: ['demote', 'alice', '--logout'],
    code: 0,
    check: async ({ db }, run) => {
      expect(Number((await userRow(db, '@alice:example.test')).admin)).toBe(0);
      expect(run.json().warnings.join('\n')).toMatch(/--logout matters only with matrix-authentication-service/);
    },
  },
  {
    name: 'check with no usable admin',
    seed: (db) => seedUser(db, { name: '@alice:example.test', admin: true, deactivated: true }),
    args: ['check'],
    code: 5,
    check: async (_env, run) => expect(run.json()).toMatchObject({ ok: false, admins: 1, usable_admins: 0, synapse_running: false }),
  },
  {
    // promote works on MAS's database there (test/mas-cases/admin.ts); without MAS's config it cannot.
    name: 'with matrix-authentication-service handling logins and no MAS config, promote says where to point it',
    seed: (db) => seedUser(db, { name: '@alice:example.test' }),
    extraConfig: { matrix_authentication_service: { enabled: true, endpoint: 'http://localhost:8080', secret: 'x' } },
    args: ['promote', 'alice'],
    code: 3,
    message: /no MAS config was found.*--mas-config PATH/,
  },
  {
    name: 'a database that is not Synapse',
    seed: async (db) => {
      await db.schema.dropTable('schema_version');
    },
    args: ['promote', 'alice'],
    code: 4,
    message: /not a Synapse database/,
  },
  {
    name: 'a schema older than supported',
    seed: async (db) => {
      await db('schema_version').update({ version: 60 });
    },
    args: ['promote', 'alice'],
    code: 4,
    message: /schema version 60/,
  },
  // Command-line values as scripts write them (issue 7): booleans spelled by Jinja, YAML and shell.
  {
    name: 'register --admin=True (as Jinja writes it) makes a server admin',
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
    name: 'promote --dry-run=True writes nothing',
    seed: (db) => seedUser(db, { name: '@alice:example.test' }),
    args: ['--dry-run=True', 'promote', 'alice'],
    code: 0,
    check: async (_env, run) => expect(run.json()).toMatchObject({ changed: true, dry_run: true }),
  },
  {
    name: 'set-password --logout=yes --password-stdin=1 deletes the access tokens',
    seed: async (db) => {
      await seedUser(db, { name: '@alice:example.test', admin: true });
      await seedToken(db, '@alice:example.test', 7, 'syt_old_token');
    },
    args: ['set-password', 'alice', '--logout=yes', '--password-stdin=1'],
    input: 'new-pass-word',
    code: 0,
    check: async ({ db }) => expect(await db('access_tokens').select()).toEqual([]),
  },
  {
    name: 'set-password --logout=no keeps the access tokens',
    seed: async (db) => {
      await seedUser(db, { name: '@alice:example.test', admin: true });
      await seedToken(db, '@alice:example.test', 7, 'syt_old_token');
    },
    args: ['set-password', 'alice', '--logout=no', '--password-stdin'],
    input: 'new-pass-word',
    code: 0,
    check: async ({ db }) => expect(await db('access_tokens').select('token')).toEqual([{ token: 'syt_old_token' }]),
  },
  {
    name: 'unlock --unshadowban=TRUE lifts a shadow ban',
    seed: (db) => seedUser(db, { name: '@alice:example.test', admin: true, shadowBanned: true }),
    args: ['unlock', 'alice', '--unshadowban=TRUE'],
    code: 0,
    check: async ({ db }) => expect(bool((await userRow(db, '@alice:example.test')).shadow_banned)).toBe(false),
  },
  {
    name: 'register with a display name of 256 code points (512 UTF-16 units) stores it whole',
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
    name: 'register with a NUL in the display name (PostgreSQL cannot store it)',
    args: ['register', 'carol', '--no-admin', '--displayname', 'car\0ol', '--password-stdin'],
    input: 'pw-pw-pw-pw',
    code: 2,
    message: /control character U\+0000/,
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
  {
    name: 'a trailing space after the user ID is called whitespace',
    seed: (db) => seedUser(db, { name: '@alice:example.test' }),
    args: ['promote', '@alice:example.test '],
    code: 2,
    message: /ends with whitespace \(U\+0020\)/,
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
  ...['register bob --admin --password-stdin', 'promote alice', 'list-admins', 'check', 'issue-token alice', 'set-password alice --logout --password-stdin'].map(
    (command): Case => ({
      name: `a database of another server_name is refused before anything is written: ${command.split(' ')[0]}`,
      seed: (db) => seedUser(db, { name: '@alice:other.test', admin: true }),
      args: command.split(' '),
      input: 'whatever-pass',
      code: 3,
      message: /sets server_name "example\.test", but the users in .* belong to "other\.test" \(e\.g\. @alice:other\.test\)/,
      unchanged: true,
      check: async ({ config }, run) => expect(run.json().error.message).toContain(config),
    }),
  ),
  {
    name: 'an empty database is fine for any server_name, as for Synapse',
    args: ['list-admins'],
    code: 0,
  },
  // apply: a file of users made so, in one transaction.
  {
    name: 'apply creates the users of a file as register does',
    files: {
      'alice.pw': 'Alice-pw-1\n',
      'users.yaml': `users:
  - user: alice
    admin: true
    password_file: alice.pw
  - user: "@bot:example.test"
    random_password: true
    displayname: Helper Bot
    user_type: bot
  - user: carol
    password_hash: "$2b$04$abcdefghijklmnopqrstuu5Hs0pMEYh6gbldvQ3d6cTdiEW4nUAMW"
`,
    },
    args: ['apply', 'users.yaml'],
    code: 0,
    check: async ({ db }, run) => {
      const json = run.json();
      expect(json).toMatchObject({ ok: true, changed: true, dry_run: false, created: 3, updated: 0, unchanged: 0 });
      const alice = await userRow(db, '@alice:example.test');
      expect(Number(alice.admin)).toBe(1);
      expect(Number(alice.creation_ts)).toBe(Math.floor(FIXED_NOW / 1000));
      expect(await checkPassword('Alice-pw-1', alice.password_hash, PASSWORD_SETTINGS)).toBe(true);
      const bot = json.users.find((u: { user_id: string }) => u.user_id === '@bot:example.test');
      expect(bot).toMatchObject({ action: 'create' });
      expect(await checkPassword(bot.password, (await userRow(db, '@bot:example.test')).password_hash, PASSWORD_SETTINGS)).toBe(true);
      expect((await userRow(db, '@bot:example.test')).user_type).toBe('bot');
      expect(json.users.find((u: { user_id: string }) => u.user_id === '@alice:example.test').password).toBeUndefined();
      expect((await userRow(db, '@carol:example.test')).password_hash).toBe('$2b$04$abcdefghijklmnopqrstuu5Hs0pMEYh6gbldvQ3d6cTdiEW4nUAMW');
      expect(await db('profiles').select('user_id', 'displayname').orderBy('user_id')).toEqual([
        { user_id: 'alice', displayname: 'alice' },
        { user_id: 'bot', displayname: 'Helper Bot' },
        { user_id: 'carol', displayname: 'carol' },
      ]);
      expect((await db('user_directory').select('user_id')).length).toBe(3);
      expect((await db('user_stats_current').select('user_id')).length).toBe(3);
    },
  },
  {
    name: 'apply of a file already applied changes nothing and says so',
    seed: async (db) => {
      await seedUser(db, { name: '@alice:example.test', admin: true });
      await seedUser(db, { name: '@bob:example.test' });
    },
    files: { 'users.yaml': 'users:\n  - {user: alice, admin: true, random_password: true}\n  - user: bob\n' },
    args: ['apply', 'users.yaml'],
    code: 0,
    unchanged: true,
    check: async (_env, run) => {
      expect(run.json()).toMatchObject({ changed: false, created: 0, updated: 0, unchanged: 2 });
      expect(run.json().users[0]).toEqual({ user_id: '@alice:example.test', action: 'unchanged', changes: [] });
    },
  },
  // Issue 16: a password file is read only when its entry uses it (a secret removed after the
  // user was created must not stop the next run).
  {
    name: 'apply reads no password file of a user that keeps its password (update_password: on_create)',
    seed: (db) => seedUser(db, { name: '@Alice:example.test' }),
    files: { 'users.yaml': 'users:\n  - user: alice\n    admin: true\n    password_file: nowhere-needed\n' },
    args: ['apply', 'users.yaml'],
    code: 0,
    check: async ({ db }) => expect(Number((await userRow(db, '@Alice:example.test')).admin)).toBe(1),
  },
  {
    name: 'apply with update_password: always reads the password file of an existing user',
    seed: (db) => seedUser(db, { name: '@Alice:example.test' }),
    files: { 'users.yaml': 'update_password: always\nusers:\n  - user: alice\n    admin: true\n    password_file: nowhere-needed\n' },
    args: ['apply', 'users.yaml'],
    code: 2,
    message: /users\.yaml:3: Cannot read the file given with password_file of @alice:example\.test: it does not exist/,
  },
  {
    name: 'apply says an empty password file is empty, and what to do',
    files: { 'empty.pw': '', 'users.yaml': 'users:\n  - {user: alice, password_file: empty.pw}\n' },
    args: ['apply', 'users.yaml'],
    code: 2,
    message: /users\.yaml:2: The password file .*empty\.pw is empty, so it holds no password\. Write the password into it \(one line\), or give random_password: true instead of password_file$/m,
  },
  {
    name: 'apply refuses /dev/zero as a password file as too large, quickly',
    files: { 'users.yaml': 'users:\n  - {user: alice, password_file: /dev/zero}\n' },
    args: ['apply', 'users.yaml'],
    code: 2,
    message: /users\.yaml:2: The password file \/dev\/zero is larger than 64 KiB/,
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
  // Issue 16: Synapse answered the login of this user with HTTP 500 ("Invalid salt"), and the
  // file had demoted every admin who could log in.
  ...[
    ['a salt bcrypt cannot decode', `$2b$04$${'z'.repeat(53)}`, /has a salt that bcrypt cannot decode/],
    ['cost 31', '$2b$31$abcdefghijklmnopqrstuu5Hs0pMEYh6gbldvQ3d6cTdiEW4nUAMW', /has cost 31: each login would take 524288 times as long/],
  ].map(
    ([what, hash, message]): Case => ({
      name: `apply refuses a password_hash with ${String(what)} for the only admin under admins: exclusive`,
      seed: (db) => seedUser(db, { name: '@root:example.test', admin: true }),
      files: { 'users.yaml': `admins: exclusive\nusers:\n  - user: carol\n    admin: true\n    password_hash: "${String(hash)}"\n` },
      args: ['apply', 'users.yaml'],
      code: 2,
      message: new RegExp(`users\\.yaml:5: password_hash of @carol:example\\.test ${(message as RegExp).source.replace(/^\^/, '')}`),
      check: async (_env, run) => expect(run.stderr).not.toContain(String(hash).slice(7, 30)),
    }),
  ),
  {
    name: 'apply promotes an existing user (legacy case) and leaves its password alone by default',
    seed: (db) => seedUser(db, { name: '@Alice:example.test' }),
    files: { 'alice.pw': 'new-pw-1', 'users.yaml': 'users:\n  - user: alice\n    admin: true\n    password_file: alice.pw\n' },
    args: ['apply', 'users.yaml'],
    code: 0,
    check: async ({ db }, run) => {
      expect(run.json()).toMatchObject({ changed: true, updated: 1, users: [{ user_id: '@Alice:example.test', action: 'update', changes: ['@Alice:example.test: admin 0 -> 1'] }] });
      const row = await userRow(db, '@Alice:example.test');
      expect(Number(row.admin)).toBe(1);
      expect(await checkPassword('new-pw-1', row.password_hash, PASSWORD_SETTINGS)).toBe(false);
    },
  },
  {
    name: 'apply with update_password: always rewrites only the hashes that do not match',
    seed: async (db) => {
      const settings = { pepper: '', bcryptRounds: 4 };
      await seedUser(db, { name: '@alice:example.test', admin: true, passwordHash: await hashPassword('same-pw-1', settings) });
      await seedUser(db, { name: '@bob:example.test', passwordHash: await hashPassword('old-pw-1', settings) });
    },
    files: {
      'alice.pw': 'same-pw-1\n',
      'bob.pw': 'new-pw-1\n',
      'users.yaml': 'update_password: always\nusers:\n  - {user: alice, password_file: alice.pw}\n  - {user: bob, password_file: bob.pw}\n',
    },
    args: ['apply', 'users.yaml'],
    code: 0,
    check: async ({ db }, run) => {
      expect(run.json()).toMatchObject({ changed: true, updated: 1, unchanged: 1 });
      expect(run.json().users.map((u: { action: string }) => u.action)).toEqual(['unchanged', 'update']);
      expect(await checkPassword('new-pw-1', (await userRow(db, '@bob:example.test')).password_hash, PASSWORD_SETTINGS)).toBe(true);
      expect(await checkPassword('same-pw-1', (await userRow(db, '@alice:example.test')).password_hash, PASSWORD_SETTINGS)).toBe(true);
    },
  },
  {
    name: 'apply with update_password: always and matching passwords writes nothing',
    seed: async (db) => {
      await seedUser(db, { name: '@alice:example.test', admin: true, passwordHash: await hashPassword('same-pw-1', { pepper: '', bcryptRounds: 4 }) });
    },
    files: { 'alice.pw': 'same-pw-1', 'users.yaml': 'update_password: always\nusers:\n  - {user: alice, password_file: alice.pw}\n' },
    args: ['apply', 'users.yaml'],
    code: 0,
    unchanged: true,
    check: async (_env, run) => expect(run.json()).toMatchObject({ changed: false }),
  },
  {
    name: 'apply with admins: exclusive demotes every admin not listed',
    seed: async (db) => {
      await seedUser(db, { name: '@root:example.test', admin: true });
      await seedUser(db, { name: '@old:example.test', admin: true });
      await seedUser(db, { name: '@alice:example.test' });
    },
    files: { 'users.yaml': 'admins: exclusive\nusers:\n  - {user: alice, admin: true}\n  - {user: old}\n' },
    args: ['apply', 'users.yaml'],
    code: 0,
    check: async ({ db }, run) => {
      expect(run.json()).toMatchObject({ changed: true, updated: 2, demoted: 1 });
      const admins = await db('users').where({ admin: 1 }).pluck('name');
      expect(admins).toEqual(['@alice:example.test']);
    },
  },
  {
    name: 'apply refuses a file that leaves no usable admin',
    seed: async (db) => {
      await seedUser(db, { name: '@root:example.test', admin: true });
      await seedUser(db, { name: '@locked:example.test', locked: true });
    },
    files: { 'users.yaml': 'admins: exclusive\nusers:\n  - {user: locked, admin: true}\n  - {user: bob, random_password: true}\n' },
    args: ['apply', 'users.yaml'],
    code: 2,
    message: /no usable admin/,
  },
  {
    name: 'apply lists every problem of a file with its line and writes nothing',
    extraConfig: { app_service_config_files: ['__DIR__/irc.yaml'] },
    files: {
      'users.yaml': `users:
  - user: alice
    admin: "yes"
    colour: blue
  - user: "@ALICE:example.test"
  - user: "@bob:elsewhere.test"
  - user: irc_carol
    password_file: missing.pw
  - user: dave
    password_file: missing.pw
    random_password: true
  - user: erin
    user_type: wizard
    password_hash: "$2b$12$tooshort"
`,
    },
    args: ['apply', 'users.yaml'],
    code: 2,
    message: /users\.yaml:3: admin must be true or false[^]*users\.yaml:4: unknown key "colour"[^]*users\.yaml:5: @ALICE:example\.test and @alice:example\.test \(line 2\) differ only in case[^]*users\.yaml:6: .*elsewhere\.test[^]*users\.yaml:7: @irc_carol:example\.test is reserved: application service "irc"[^]*users\.yaml:11: @dave:example\.test has password_file and random_password[^]*users\.yaml:13: user_type "wizard"[^]*users\.yaml:14: password_hash of @erin:example\.test is not a bcrypt hash/,
    check: async (_env, run) => {
      // The file's own problems; its password files are read only once it has none.
      expect(run.json().problems.length).toBeGreaterThanOrEqual(8);
      expect(run.stderr).not.toMatch(/tooshort|missing\.pw/);
    },
  },
  {
    // Found in review: the file's problems waited behind the database, whose error then hid them.
    name: 'apply refuses a broken file before it opens the database (one that cannot be opened)',
    extraConfig: { database: { name: 'sqlite3', args: { database: '__DIR__/no-such-dir/homeserver.db' } } },
    files: { 'users.yaml': 'users:\n  - user: alice\n    admin: "yes"\n' },
    args: ['apply', 'users.yaml'],
    code: 2,
    message: /users\.yaml:3: admin must be true or false/,
  },
  {
    name: 'apply lists each unreadable password file and refuses new users it cannot create',
    seed: (db) => seedUser(db, { name: '@gone:example.test', deactivated: true, passwordHash: null }),
    files: {
      'users.yaml': 'users:\n  - {user: a1, password_file: no-a1}\n  - {user: a2, password_file: no-a2}\n  - {user: gone}\n  - {user: Bad}\n  - {user: nopw}\n',
    },
    args: ['apply', 'users.yaml'],
    code: 2,
    message: /users\.yaml:2: .*password_file of @a1[^]*users\.yaml:3: .*password_file of @a2/,
  },
  {
    name: 'apply refuses users it may not manage or create, each with its line',
    seed: (db) => seedUser(db, { name: '@gone:example.test', deactivated: true, passwordHash: null }),
    files: { 'users.yaml': 'users:\n  - {user: gone}\n  - {user: Bad, random_password: true}\n  - {user: nopw}\n' },
    args: ['apply', 'users.yaml'],
    code: 2,
    message: /users\.yaml:2: Cannot apply a file to @gone:example\.test: the account is deactivated[^]*users\.yaml:3: New user IDs must be lower case[^]*users\.yaml:4: @nopw:example\.test does not exist yet and has no password/,
  },
  {
    name: 'apply --dry-run shows the plan and writes nothing',
    seed: (db) => seedUser(db, { name: '@root:example.test', admin: true }),
    files: { 'users.yaml': 'admins: exclusive\nusers:\n  - {user: alice, admin: true, random_password: true}\n' },
    args: ['--dry-run', 'apply', 'users.yaml'],
    code: 0,
    check: async (_env, run) => {
      const json = run.json();
      expect(json).toMatchObject({ changed: true, dry_run: true, created: 1, demoted: 1 });
      expect(json.users[0].password).toBeUndefined();
    },
  },
  {
    name: 'apply reads a JSON file from stdin',
    args: ['apply', '-'],
    input: JSON.stringify({ users: [{ user: 'alice', admin: true, random_password: true }], update_password: 'on_create' }),
    code: 0,
    check: async ({ db }, run) => {
      expect(run.json()).toMatchObject({ file: 'stdin', created: 1 });
      expect(Number((await userRow(db, '@alice:example.test')).admin)).toBe(1);
    },
  },
  // Issue 16: apply files are held to the config files' rules, never echo a secret, cap their output.
  {
    name: 'apply refuses a Latin-1 file with the line and column of its first bad byte, and writes nothing',
    files: { 'users.yaml': Buffer.from('users:\n  - user: jm\n    random_password: true\n    displayname: J\u00fcrgen M\u00fcller\n', 'latin1') },
    args: ['apply', 'users.yaml'],
    code: 2,
    message: /users\.yaml:4:19: not valid UTF-8 \(byte 64 of the file\): apply reads files as UTF-8[^]*iconv -f latin1 -t utf-8/,
    check: async (_env, run) => expect(run.json().problems).toEqual([expect.objectContaining({ line: 4, column: 19 })]),
  },
  {
    name: 'apply refuses a UTF-16 file, naming the encoding',
    files: { 'users.yaml': Buffer.from('\uFEFFusers:\n  - {user: alice, random_password: true}\n', 'utf16le') },
    args: ['apply', 'users.yaml'],
    code: 2,
    message: /users\.yaml:1:1: not valid UTF-8 \(byte 0 of the file; it looks like UTF-16 little-endian, by its byte order mark\)/,
  },
  {
    name: 'apply never prints a value typed into a password key, in text or --json',
    files: {
      'users.yaml': 'users:\n  - {user: a, random_password: "Tr0ub4dor-S3cret"}\n  - {user: b, password_file: 918273645}\n  - {user: c, password_hash: 5647382910}\n',
    },
    args: ['apply', 'users.yaml'],
    code: 2,
    message: /users\.yaml:2: random_password must be true or false \(unquoted\), not a string \(the value is not shown: it may be a password\)[^]*users\.yaml:3: password_file must be a string, not a number/,
    check: async (_env, run) => {
      for (const secret of ['Tr0ub4dor', '918273645', '5647382910']) expect(run.stdout + run.stderr).not.toContain(secret);
    },
  },
  {
    name: 'apply refuses an unknown tag instead of creating the user it hides',
    files: { 'users.yaml': 'users:\n  - user: !secret newx\n    random_password: true\n' },
    args: ['apply', 'users.yaml'],
    code: 2,
    message: /users\.yaml:2:11: not valid YAML or JSON: a tag \(!name\) that apply cannot read/,
  },
  {
    name: 'apply lists the first 50 problems of a file and says how many more',
    files: { 'users.yaml': `users:\n${Array.from({ length: 120 }, (_, i) => `  - {user: u${i}, admin: maybe}`).join('\n')}\n` },
    args: ['apply', 'users.yaml'],
    code: 2,
    message: /users\.yaml has 120 problems[^]*users\.yaml:51: admin must[^]*… and 70 more \(only the first 50 are listed\)/,
    check: async (_env, run) => {
      expect(run.json()).toMatchObject({ problem_count: 120 });
      expect(run.json().problems.length).toBe(50);
      expect(run.stderr).not.toMatch(/users\.yaml:52:/);
    },
  },
  {
    name: 'apply refuses YAML on stdin without the end marker, so a cut-off pipe demotes no one',
    seed: async (db) => {
      await seedUser(db, { name: '@alice:example.test', admin: true });
      await seedUser(db, { name: '@bob:example.test', admin: true });
    },
    args: ['apply', '-'],
    // The file, cut after its third line: bob's entry is gone.
    input: 'admins: exclusive\nusers:\n  - {user: alice, admin: true}\n',
    code: 2,
    message: /stdin:3: stdin ended without the YAML document end marker[^]*Add `\.\.\.` as its last line/,
  },
  {
    name: 'apply reads YAML from stdin that ends with ...',
    seed: async (db) => {
      await seedUser(db, { name: '@alice:example.test', admin: true });
      await seedUser(db, { name: '@bob:example.test', admin: true });
    },
    args: ['apply', '-'],
    input: 'admins: exclusive\nusers:\n  - {user: alice, admin: true}\n...\n',
    code: 0,
    check: async ({ db }, run) => {
      expect(run.json()).toMatchObject({ file: 'stdin', demoted: 1 });
      expect(await db('users').where({ admin: 1 }).pluck('name')).toEqual(['@alice:example.test']);
    },
  },
  {
    name: 'apply of an unreadable file',
    args: ['apply', 'no-such.yaml'],
    code: 2,
    message: /Cannot read no-such\.yaml \(ENOENT\)/,
  },
  {
    name: 'apply of 1,001 users writes them in several slices, each user once',
    files: {
      'users.yaml': `users:\n${Array.from({ length: 1001 }, (_, i) => `  - {user: u${i}, admin: ${i === 0}, random_password: true, displayname: User ${i}}`).join('\n')}\n`,
    },
    args: ['apply', 'users.yaml'],
    code: 0,
    check: async ({ db }, run) => {
      expect(run.json()).toMatchObject({ created: 1001 });
      for (const table of ['users', 'profiles', 'user_directory', 'user_directory_search', 'user_stats_current']) {
        expect((await db(table).select('*')).length, table).toBe(1001);
      }
      expect(await db('profiles').first('displayname').where({ user_id: 'u1000' })).toEqual({ displayname: 'User 1000' });
    },
  },
  {
    name: 'apply refuses a password that breaks the policy',
    extraConfig: { password_config: { policy: { enabled: true, minimum_length: 12 } } },
    files: { 'a.pw': 'short-1', 'users.yaml': 'users:\n  - {user: alice, password_file: a.pw}\n' },
    args: ['apply', 'users.yaml'],
    code: 2,
    message: /users\.yaml:2: the password of @alice:example\.test does not meet password_config\.policy: The password must be at least 12/,
  },
];

const IRC_REGISTRATION = `id: irc
url: http://localhost:9999
as_token: as-secret
hs_token: hs-secret
sender_localpart: ircbot
namespaces:
  users:
    - exclusive: true
      regex: '@irc_.*:example\\.test'
    - exclusive: false
      regex: '@bridged_.*:example\\.test'
`;

/** The table and the tests beside it, on one dialect. */
const onDialect = (dialect: TestDialect) => {
  let env: Env;
  let cleanup: () => Promise<void>;

  beforeEach(async () => {
    const fresh = await freshDatabase(dialect);
    const dir = mkdtempSync(join(tmpdir(), 'sab-cmd-'));
    writeFileSync(join(dir, 'irc.yaml'), IRC_REGISTRATION);
    env = {
      db: fresh.knex,
      dir,
      settings: fresh.settings,
      config: join(dir, 'homeserver.yaml'),
      run: (args, input) => cli(['-c', join(dir, 'homeserver.yaml'), '--json', ...args], { input, cwd: dir }),
    };
    cleanup = async () => {
      await fresh.cleanup();
      rmSync(dir, { recursive: true, force: true });
    };
  });

  afterEach(async () => cleanup());

  it.each(cases)('$name', async (c) => {
    const extra = JSON.parse(JSON.stringify(c.extraConfig ?? {}).replaceAll('__DIR__', env.dir));
    await writeHomeserverYaml(env.dir, { serverName: HS, database: env.settings, extra: { bcrypt_rounds: 4, ...extra } });
    await c.seed?.(env.db);
    for (const [file, text] of Object.entries(c.files ?? {})) writeFileSync(join(env.dir, file), typeof text === 'string' ? text.replaceAll('__DIR__', env.dir) : text);
    await playCase(c, env, () => snapshot(env.db), env.run);
  });

  it('says a running Synapse must restart to see a promote', async () => {
    await writeHomeserverYaml(env.dir, { serverName: HS, database: env.settings, extra: { bcrypt_rounds: 4 } });
    await seedUser(env.db, { name: '@alice:example.test' });
    // A live process that runs `-m synapse.app.homeserver`, named by pid_file.
    const synapse = await startFakeSynapse();
    try {
      writeFileSync(join(env.dir, 'homeserver.pid'), `${synapse.pid}\n`);
      const run = await env.run(['promote', 'alice']);
      expect(run.json()).toMatchObject({ ok: true, changed: true, synapse_running: true, restart_needed: true });
      expect(run.stderr).toMatch(/Synapse looks like it is running .*caches who is an admin.*Restart Synapse/);
      const again = await env.run(['promote', 'alice']);
      expect(again.json()).toMatchObject({ changed: false, restart_needed: false });
      expect(again.stderr).not.toMatch(/Restart Synapse/);
    } finally {
      await synapse.stop();
    }
  });

  it('apply prints its plan as text, and a second run says there is nothing to change', async () => {
    await writeHomeserverYaml(env.dir, { serverName: HS, database: env.settings, extra: { bcrypt_rounds: 4 } });
    await seedUser(env.db, { name: '@root:example.test', admin: true });
    writeFileSync(join(env.dir, 'users.yaml'), 'admins: exclusive\nusers:\n  - {user: alice, admin: true, random_password: true}\n');
    const text = (args: string[]) => cli(['-c', env.config, ...args], { cwd: env.dir });
    const dry = await text(['--dry-run', 'apply', 'users.yaml']);
    expect(dry.stdout).toBe(
      'Dry run of users.yaml: nothing was written. It would change (1 to create, 0 to update, 1 to demote, 0 unchanged):\n' +
        '  created admin user @alice:example.test (display name "alice")\n' +
        '  @root:example.test: admin 1 -> 0 (not listed, admins: exclusive)\n',
    );
    const first = await text(['apply', 'users.yaml']);
    expect(first.code).toBe(0);
    expect(first.stdout).toMatch(/^Applied users\.yaml \(1 created, 0 updated, 1 demoted, 0 unchanged\):\n  created admin user @alice:example\.test .*\n    password: [A-Za-z0-9_-]{32}\n  @root:example\.test: admin 1 -> 0/);
    const again = await text(['apply', 'users.yaml']);
    expect(again.stdout).toBe('Nothing to change: users.yaml is already applied (1 user as declared).\n');
    expect(again.stdout).not.toMatch(/password/);
  });

  it('apply writes exactly the rows register writes', async () => {
    await writeHomeserverYaml(env.dir, { serverName: HS, database: env.settings, extra: { bcrypt_rounds: 4 } });
    expect((await env.run(['register', 'alice', '--admin', '--displayname', 'Alice A', '--user-type', 'bot', '--password-stdin'], 'pw-1')).code).toBe(0);
    const other = await freshDatabase(dialect);
    const dir = mkdtempSync(join(tmpdir(), 'sab-apply-'));
    try {
      await writeHomeserverYaml(dir, { serverName: HS, database: other.settings, extra: { bcrypt_rounds: 4 } });
      writeFileSync(join(dir, 'pw'), 'pw-1');
      writeFileSync(join(dir, 'users.yaml'), 'users:\n  - {user: alice, admin: true, displayname: Alice A, user_type: bot, password_file: pw}\n');
      expect((await cli(['-c', join(dir, 'homeserver.yaml'), 'apply', 'users.yaml'], { cwd: dir })).code).toBe(0);
      const masked = async (db: Knex) => {
        const snap = await snapshot(db);
        snap.users = snap.users!.map((u) => String(u).replace(/"password_hash":"[^"]*"/, ''));
        return snap;
      };
      expect(await masked(other.knex)).toEqual(await masked(env.db));
    } finally {
      await other.cleanup();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('register works on the oldest supported schema (72)', async () => {
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
  });
};

export function commandTable(dialect: TestDialect): void {
  describe(`commands on ${dialect}`, () => onDialect(dialect));
}
