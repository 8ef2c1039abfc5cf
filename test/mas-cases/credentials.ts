// register, set-password and issue-token on servers whose logins belong to MAS.
import { randomBytes } from 'node:crypto';
import { rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'vitest';
import type { MasVariant } from '../../migrations/mas/index.js';
import type { MasPasswordScheme } from '../../src/mas/config.js';
import { newMasId, ulidOf } from '../../src/mas/ids.js';
import { verifyMasPassword } from '../../src/mas/password.js';
import { isWellFormedMasToken } from '../../src/mas/tokens.js';
import {
  queuedJobs,
  seedBrowserSession,
  seedCompatSession,
  seedMasUser,
  seedOAuthSession,
  seedUser,
  seedWorker,
  type MasWorld,
  type SeedMasUser,
} from '../helpers/mas-world.js';
import { FIXED_NOW, type CliRun } from '../helpers/run-cli.js';
import type { MasCase } from './types.js';

const STRONG = 'a-Long-enough-passphrase-42';
// --password-file is read from the process's working directory, which the in-process runner does
// not change: an absolute path, unique to this run.
const PASSWORD_FILE = join(tmpdir(), `sab-mas-pw-${process.pid}-${randomBytes(4).toString('hex')}.txt`);
const WEAK = 'password1';
const PEPPER = 'a-secret-pepper';

// MAS's PHC strings (crates/handlers/src/snapshots/*hashing*): parameters in MAS's order, standard
// base64 without padding, a 16-byte salt and a 32-byte hash.
const ARGON2ID_PHC = /^\$argon2id\$v=19\$m=19456,t=2,p=1\$[A-Za-z0-9+/]{22}\$[A-Za-z0-9+/]{43}$/;
const bcryptPhc = (cost: number) => new RegExp(`^\\$2b\\$${cost}\\$[./A-Za-z0-9]{53}$`);
const PBKDF2_PHC = /^\$pbkdf2-sha256\$i=600000,l=32\$[A-Za-z0-9+/]{22}\$[A-Za-z0-9+/]{43}$/;

function scheme(s: Partial<MasPasswordScheme> & Pick<MasPasswordScheme, 'version' | 'algorithm'>): MasPasswordScheme {
  return { unicodeNormalization: false, cost: 12, ...s };
}
const ARGON2ID_V1 = scheme({ version: 1, algorithm: 'argon2id' });

const VARIANTS: readonly MasVariant[] = ['0.13', '1.22'];

/** The same case on the oldest and the newest MAS schema we support. */
function onBothVariants(c: MasCase): MasCase[] {
  return VARIANTS.map((variant) => ({ ...c, name: `${c.name} (MAS ${variant})`, world: { ...c.world, variant } }));
}

/** The MAS user row and its password rows, newest password last. */
async function masUser(world: MasWorld, username: string) {
  const user = await world.mas('users').first('*').where({ username });
  const passwords = user === undefined ? [] : await world.mas('user_passwords').where({ user_id: user.user_id }).orderBy('created_at');
  return { user, passwords };
}

async function seedAdminAlice(world: MasWorld, extra: Partial<SeedMasUser> = {}) {
  const alice = await seedMasUser(world.mas, { username: 'alice', canRequestAdmin: true, passwordHash: '$argon2id$v=19$m=19456,t=2,p=1$x$y', ...extra });
  await seedUser(world.synapse, { name: '@alice:example.test', passwordHash: null });
  return alice;
}

/** The password row the run wrote verifies under `s`, and has MAS's shape and version. */
async function expectPassword(world: MasWorld, username: string, password: string, s: MasPasswordScheme, shape: RegExp) {
  const { passwords } = await masUser(world, username);
  const row = passwords.at(-1);
  expect(row.hashed_password).toMatch(shape);
  expect(row.version).toBe(s.version);
  expect(row.upgraded_from_id).toBeNull();
  expect(new Date(row.created_at).getTime()).toBe(FIXED_NOW);
  expect(await verifyMasPassword(password, row.hashed_password, s)).toBe(true);
  expect(await verifyMasPassword(`${password}x`, row.hashed_password, s)).toBe(false);
}

/** No secret reached stdout or stderr except where the case allows it. */
function expectNoSecret(run: CliRun, secret: string) {
  expect(run.stdout).not.toContain(secret);
  expect(run.stderr).not.toContain(secret);
}

const registerCases: MasCase[] = [
  ...onBothVariants({
    name: 'register makes a MAS user with an argon2id password and a provision-user job',
    args: ['register', 'bob', '--admin', '--password-stdin'],
    input: `${STRONG}\n`,
    code: 0,
    check: async (world, run) => {
      const { user, passwords } = await masUser(world, 'bob');
      expect(user).toMatchObject({ username: 'bob', can_request_admin: true, locked_at: null });
      expect(new Date(user.created_at).getTime()).toBe(FIXED_NOW);
      // A ULID made at created_at, as MAS makes its ids.
      expect(ulidOf(user.user_id).slice(0, 10)).toBe(ulidOf(newMasId(FIXED_NOW)).slice(0, 10));
      expect(passwords).toHaveLength(1);
      await expectPassword(world, 'bob', STRONG, ARGON2ID_V1, ARGON2ID_PHC);
      expect(await queuedJobs(world.mas)).toEqual([
        { queue_name: 'provision-user', payload: { user_id: ulidOf(user.user_id), set_display_name: null }, status: 'available' },
      ]);
      // Synapse's side is MAS's worker's job.
      expect(await world.synapse('users').where({ name: '@bob:example.test' })).toEqual([]);
      expect(run.json()).toMatchObject({ ok: true, user_id: '@bob:example.test', created: true, admin: true, password_set: true });
      expect(run.json()).not.toHaveProperty('password');
      const [job] = await world.mas('queue_jobs').select('queue_job_id', 'metadata');
      expect(run.json().jobs).toEqual([{ queue: 'provision-user', id: job.queue_job_id }]);
      expect(job.metadata).toEqual({});
      // No worker has been seen in this world: the change waits for MAS.
      expect(run.json().warnings.join('\n')).toMatch(/No MAS worker has been seen/);
      expectNoSecret(run, STRONG);
    },
  }),
  {
    name: 'register with a live MAS worker has no worker warning',
    seed: async (world) => void (await seedWorker(world.mas)),
    args: ['register', 'bob', '--no-admin', '--password-stdin'],
    input: `${STRONG}\n`,
    code: 0,
    check: async (_world, run) => expect(run.json().warnings).toEqual([]),
  },
  {
    name: 'register passes --displayname to provision-user and leaves can_request_admin off with --no-admin',
    args: ['register', 'bob', '--no-admin', '--displayname', 'Bob the Builder', '--password-stdin'],
    input: `${STRONG}\n`,
    code: 0,
    check: async (world) => {
      const { user } = await masUser(world, 'bob');
      expect(user.can_request_admin).toBe(false);
      expect((await queuedJobs(world.mas))[0]!.payload).toEqual({ user_id: ulidOf(user.user_id), set_display_name: 'Bob the Builder' });
    },
  },
  {
    name: 'register --random-password prints the generated password once, and it passes MAS complexity',
    args: ['register', 'bob', '--no-admin', '--random-password'],
    code: 0,
    check: async (world, run) => {
      const { password } = run.json();
      expect(password).toMatch(/^[A-Za-z0-9_-]{32}$/);
      expect(run.stdout.split(password).length - 1).toBe(1);
      expect(run.stderr).not.toContain(password);
      await expectPassword(world, 'bob', password, ARGON2ID_V1, ARGON2ID_PHC);
    },
  },
  {
    name: 'register --password-file reads the file',
    seed: () => writeFile(PASSWORD_FILE, `${STRONG}\n`),
    args: ['register', 'bob', '--no-admin', '--password-file', PASSWORD_FILE],
    code: 0,
    check: async (world, run) => {
      await rm(PASSWORD_FILE);
      await expectPassword(world, 'bob', STRONG, ARGON2ID_V1, ARGON2ID_PHC);
      expectNoSecret(run, STRONG);
    },
  },
  {
    name: 'register --password works with the process-list warning',
    args: ['register', 'bob', '--no-admin', '--password', STRONG],
    code: 0,
    check: async (world, run) => {
      await expectPassword(world, 'bob', STRONG, ARGON2ID_V1, ARGON2ID_PHC);
      expect(run.stderr).toMatch(/--password puts the password in the process list/);
    },
  },
  {
    name: 'register hashes with the highest version: bcrypt with the pepper appended',
    world: {
      passwords: {
        schemes: [
          { version: 1, algorithm: 'argon2id' },
          { version: 2, algorithm: 'bcrypt', cost: 10, secret: PEPPER },
        ],
      },
    },
    args: ['register', 'bob', '--no-admin', '--password-stdin'],
    input: `${STRONG}\n`,
    code: 0,
    check: async (world) => {
      const bcrypt = scheme({ version: 2, algorithm: 'bcrypt', cost: 10, secret: Buffer.from(PEPPER) });
      await expectPassword(world, 'bob', STRONG, bcrypt, bcryptPhc(10));
      const { passwords } = await masUser(world, 'bob');
      // The pepper is part of it: without it, the hash does not verify.
      expect(await verifyMasPassword(STRONG, passwords[0].hashed_password, { ...bcrypt, secret: undefined })).toBe(false);
    },
  },
  {
    name: 'register hashes with pbkdf2 and a secret_file pepper read as raw bytes',
    world: {
      passwords: {
        schemes: [
          { version: 1, algorithm: 'bcrypt' },
          { version: 3, algorithm: 'pbkdf2', secret_file: 'pepper.bin' },
        ],
      },
    },
    seed: (world) => writeFile(join(world.dir, 'pepper.bin'), `${PEPPER}\n`),
    args: ['register', 'bob', '--no-admin', '--password-stdin'],
    input: `${STRONG}\n`,
    code: 0,
    check: async (world) => {
      const pbkdf2 = scheme({ version: 3, algorithm: 'pbkdf2', secret: Buffer.from(`${PEPPER}\n`) });
      await expectPassword(world, 'bob', STRONG, pbkdf2, PBKDF2_PHC);
      const { passwords } = await masUser(world, 'bob');
      // MAS does not trim a secret_file: the newline is part of the pepper.
      expect(await verifyMasPassword(STRONG, passwords[0].hashed_password, { ...pbkdf2, secret: Buffer.from(PEPPER) })).toBe(false);
    },
  },
  {
    name: 'register with syn2mas-style schemes (bcrypt 1, argon2id 2) hashes with argon2id, version 2',
    world: {
      passwords: {
        schemes: [
          { version: 1, algorithm: 'bcrypt', unicode_normalization: true, secret: PEPPER },
          { version: 2, algorithm: 'argon2id' },
        ],
      },
    },
    args: ['register', 'bob', '--no-admin', '--password-stdin'],
    input: `${STRONG}\n`,
    code: 0,
    check: async (world) => expectPassword(world, 'bob', STRONG, scheme({ version: 2, algorithm: 'argon2id' }), ARGON2ID_PHC),
  },
  {
    name: 'register --dry-run writes nothing in either database and says what it would do',
    args: ['register', 'bob', '--admin', '--password-stdin', '--dry-run'],
    input: `${STRONG}\n`,
    code: 0,
    check: async (_world, run) => {
      expect(run.json()).toMatchObject({ ok: true, dry_run: true, changed: true, created: true });
      expect(run.json().changes.join('\n')).toMatch(/provision-user/);
    },
  },
  ...[
    ['Bob', /not lower case \(use "bob"\)/],
    ['_bot', /begins with '_'/],
    ['12345', /only digits/],
    ['bob!', /outside the allowed set/],
    ['b'.repeat(250), /longer than 255/],
  ].map(
    ([name, message]): MasCase => ({
      name: `register refuses ${String(name).slice(0, 12)} by MAS's name rules`,
      args: ['register', String(name), '--no-admin', '--password-stdin'],
      input: `${STRONG}\n`,
      code: 2,
      message: message as RegExp,
    }),
  ),
  {
    name: 'register refuses a name taken in MAS in another case',
    seed: async (world) => void (await seedMasUser(world.mas, { username: 'Bob' })),
    args: ['register', 'bob', '--no-admin', '--password-stdin'],
    input: `${STRONG}\n`,
    code: 6,
    message: /case-insensitively and "Bob" is taken/,
  },
  ...onBothVariants({
    name: "register refuses a name that only Synapse's users table has",
    seed: (world) => seedUser(world.synapse, { name: '@bob:example.test' }),
    args: ['register', 'bob', '--no-admin', '--password-stdin'],
    input: `${STRONG}\n`,
    code: 6,
    message: /Username not available on homeserver/,
  }),
  {
    name: "register refuses a name Synapse has in another case (Synapse's lookup is case-insensitive)",
    seed: (world) => seedUser(world.synapse, { name: '@Bob:example.test' }),
    args: ['register', 'bob', '--no-admin', '--password-stdin'],
    input: `${STRONG}\n`,
    code: 6,
    message: /as @Bob:example\.test/,
  },
  {
    name: 'register refuses the server-notices localpart',
    world: { homeserverExtra: { server_notices: { system_mxid_localpart: 'notices' } } },
    args: ['register', 'notices', '--no-admin', '--password-stdin'],
    input: `${STRONG}\n`,
    code: 2,
    message: /reserved for server notices/,
  },
  {
    name: 'register refuses --user-type on MAS',
    args: ['register', 'bob', '--no-admin', '--user-type', 'bot', '--password-stdin'],
    input: `${STRONG}\n`,
    code: 2,
    message: /MAS has no user types/,
  },
  {
    name: 'register of an existing MAS user without --exists-ok',
    seed: (world) => seedAdminAlice(world).then(() => undefined),
    args: ['register', 'alice', '--admin', '--password-stdin'],
    input: `${STRONG}\n`,
    code: 6,
    message: /alice:example\.test already exists/,
  },
  ...onBothVariants({
    name: 'register --exists-ok applies --admin to an existing MAS user and leaves its password alone',
    seed: async (world) => {
      await seedAdminAlice(world, { canRequestAdmin: false });
    },
    args: ['register', 'alice', '--exists-ok', '--admin'],
    code: 0,
    check: async (world, run) => {
      const { user, passwords } = await masUser(world, 'alice');
      expect(user.can_request_admin).toBe(true);
      expect(passwords).toHaveLength(1);
      expect(await queuedJobs(world.mas)).toEqual([]);
      expect(run.json()).toMatchObject({ ok: true, created: false, changed: true, changes: ['alice: may request admin: no -> yes'] });
    },
  }),
  {
    name: 'register --exists-ok with nothing to change',
    seed: (world) => seedAdminAlice(world).then(() => undefined),
    args: ['register', 'alice', '--exists-ok', '--admin'],
    code: 0,
    unchanged: true,
    check: async (_world, run) => expect(run.json()).toMatchObject({ ok: true, created: false, changed: false }),
  },
  {
    name: 'register --exists-ok refuses a deactivated MAS user',
    seed: (world) => seedAdminAlice(world, { deactivatedAt: FIXED_NOW - 1000 }).then(() => undefined),
    args: ['register', 'alice', '--exists-ok', '--admin'],
    code: 7,
    message: /deactivated.*--reactivate/,
  },
  {
    name: 'register refuses a password MAS finds too easy, naming the score and the minimum, never the password',
    args: ['register', 'bob', '--no-admin', '--password-stdin'],
    input: `${WEAK}\n`,
    code: 2,
    message: /score is 0 .*at least 3.*--ignore-policy/,
    check: async (_world, run) => expectNoSecret(run, WEAK),
  },
  {
    name: 'register --ignore-policy takes a weak password',
    args: ['register', 'bob', '--no-admin', '--password-stdin', '--ignore-policy'],
    input: `${WEAK}\n`,
    code: 0,
    check: async (world) => expectPassword(world, 'bob', WEAK, ARGON2ID_V1, ARGON2ID_PHC),
  },
  {
    name: 'register follows minimum_complexity from the MAS config',
    world: { passwords: { minimum_complexity: 0 } },
    args: ['register', 'bob', '--no-admin', '--password-stdin'],
    input: `${WEAK}\n`,
    code: 0,
    check: async (world) => expectPassword(world, 'bob', WEAK, ARGON2ID_V1, ARGON2ID_PHC),
  },
  {
    name: 'register refuses a password when MAS has passwords off',
    world: { passwords: { enabled: false } },
    args: ['register', 'bob', '--no-admin', '--password-stdin'],
    input: `${STRONG}\n`,
    code: 3,
    message: /passwords\.enabled: false/,
  },
  {
    name: 'register without a password when MAS has passwords off (upstream logins)',
    world: { passwords: { enabled: false } },
    args: ['register', 'bob', '--admin'],
    code: 0,
    check: async (world, run) => {
      const { user, passwords } = await masUser(world, 'bob');
      expect(user.can_request_admin).toBe(true);
      expect(passwords).toEqual([]);
      expect((await queuedJobs(world.mas)).map((j) => j.queue_name)).toEqual(['provision-user']);
      expect(run.json()).toMatchObject({ ok: true, created: true, password_set: false });
    },
  },
  {
    name: 'register without a password source when MAS takes passwords and nobody can type',
    args: ['register', 'bob', '--no-admin'],
    code: 2,
    message: /No password given/,
  },
];

async function seedPersonalSession(world: MasWorld, s: { owner: string; actor: string; revokedAt?: number }): Promise<string> {
  const id = newMasId(FIXED_NOW - 3_600_000);
  await world.mas('personal_sessions').insert({
    personal_session_id: id,
    owner_user_id: s.owner,
    actor_user_id: s.actor,
    human_name: 'CI bot',
    scope_list: ['urn:matrix:client:api:*'],
    created_at: new Date(FIXED_NOW - 3_600_000),
    revoked_at: s.revokedAt === undefined ? null : new Date(s.revokedAt),
  });
  await world.mas('personal_access_tokens').insert({
    personal_access_token_id: newMasId(FIXED_NOW - 3_600_000),
    personal_session_id: id,
    access_token_sha256: randomBytes(32),
    created_at: new Date(FIXED_NOW - 3_600_000),
  });
  return id;
}

const at = (v: unknown) => (v === null ? null : new Date(v as string).getTime());

const setPasswordCases: MasCase[] = [
  ...onBothVariants({
    name: 'set-password adds a user_passwords row and keeps the old one',
    seed: (world) => seedAdminAlice(world).then(() => undefined),
    args: ['set-password', 'alice', '--password-stdin'],
    input: `${STRONG}\n`,
    code: 0,
    check: async (world, run) => {
      const { passwords } = await masUser(world, 'alice');
      expect(passwords).toHaveLength(2);
      await expectPassword(world, 'alice', STRONG, ARGON2ID_V1, ARGON2ID_PHC);
      expect(await queuedJobs(world.mas)).toEqual([]);
      expect(run.json()).toMatchObject({ ok: true, user_id: '@alice:example.test', reactivated: false, password_version: 1 });
      expectNoSecret(run, STRONG);
    },
  }),
  ...onBothVariants({
    name: 'set-password --logout ends the active sessions and schedules sync-devices',
    seed: async (world) => {
      const alice = await seedAdminAlice(world);
      const other = await seedMasUser(world.mas, { username: 'carol' });
      await seedCompatSession(world.mas, { userId: alice.id });
      await seedCompatSession(world.mas, { userId: alice.id, isSynapseAdmin: true });
      await seedCompatSession(world.mas, { userId: alice.id, finishedAt: FIXED_NOW - 60_000 });
      await seedCompatSession(world.mas, { userId: other.id });
      await seedOAuthSession(world.mas, { userId: alice.id });
      await seedBrowserSession(world.mas, { userId: alice.id });
      await seedBrowserSession(world.mas, { userId: other.id });
      if (world.variant !== '0.13') {
        await seedPersonalSession(world, { owner: alice.id, actor: alice.id });
        await seedPersonalSession(world, { owner: other.id, actor: alice.id });
        await seedPersonalSession(world, { owner: other.id, actor: other.id });
      }
    },
    args: ['set-password', 'alice', '--password-stdin', '--logout'],
    input: `${STRONG}\n`,
    code: 0,
    check: async (world, run) => {
      const { user } = await masUser(world, 'alice');
      const personal = world.variant === '0.13' ? 0 : 2;
      expect(run.json().sessions_ended).toEqual({ compat: 2, oauth2: 1, browser: 1, personal });
      const compat = await world.mas('compat_sessions').where({ user_id: user.user_id });
      expect(compat.map((s) => at(s.finished_at)).sort((a, b) => (a ?? 0) - (b ?? 0))).toEqual([FIXED_NOW - 60_000, FIXED_NOW, FIXED_NOW]);
      const others = await world.mas('compat_sessions').whereNot({ user_id: user.user_id });
      expect(others.map((s) => s.finished_at)).toEqual([null]);
      expect((await world.mas('oauth2_sessions').where({ user_id: user.user_id })).map((s) => at(s.finished_at))).toEqual([FIXED_NOW]);
      expect((await world.mas('user_sessions').whereNull('finished_at')).length).toBe(1);
      if (world.variant !== '0.13') {
        const revoked = await world.mas('personal_sessions').whereNotNull('revoked_at');
        expect(revoked.map((s) => at(s.revoked_at))).toEqual([FIXED_NOW, FIXED_NOW]);
        const tokens = await world.mas('personal_access_tokens').whereIn('personal_session_id', revoked.map((s) => s.personal_session_id));
        expect(tokens.map((t) => at(t.revoked_at))).toEqual([FIXED_NOW, FIXED_NOW]);
        expect(await world.mas('personal_access_tokens').whereNull('revoked_at')).toHaveLength(1);
      }
      expect(await queuedJobs(world.mas)).toEqual([
        { queue_name: 'sync-devices', payload: { user_id: ulidOf(user.user_id) }, status: 'available' },
      ]);
    },
  }),
  {
    name: 'set-password of a deactivated MAS user without --reactivate',
    seed: (world) => seedAdminAlice(world, { deactivatedAt: FIXED_NOW - 1000 }).then(() => undefined),
    args: ['set-password', 'alice', '--password-stdin'],
    input: `${STRONG}\n`,
    code: 7,
    message: /deactivated in MAS\. Pass --reactivate/,
  },
  {
    name: 'set-password --reactivate clears deactivated_at, schedules reactivate-user and leaves a lock alone',
    seed: (world) => seedAdminAlice(world, { deactivatedAt: FIXED_NOW - 1000, lockedAt: FIXED_NOW - 2000 }).then(() => undefined),
    args: ['set-password', 'alice', '--password-stdin', '--reactivate'],
    input: `${STRONG}\n`,
    code: 0,
    check: async (world, run) => {
      const { user } = await masUser(world, 'alice');
      expect(user.deactivated_at).toBeNull();
      expect(at(user.locked_at)).toBe(FIXED_NOW - 2000);
      expect(await queuedJobs(world.mas)).toEqual([
        { queue_name: 'reactivate-user', payload: { user_id: ulidOf(user.user_id) }, status: 'available' },
      ]);
      expect(run.json()).toMatchObject({ ok: true, reactivated: true });
      expect(run.json().warnings.join('\n')).toMatch(/locked in MAS.*unlock alice/);
    },
  },
  {
    name: 'set-password --reactivate of an active user says it had nothing to do',
    seed: (world) => seedAdminAlice(world).then(() => undefined),
    args: ['set-password', 'alice', '--password-stdin', '--reactivate'],
    input: `${STRONG}\n`,
    code: 0,
    check: async (world, run) => {
      expect(await queuedJobs(world.mas)).toEqual([]);
      expect(run.json().warnings.join('\n')).toMatch(/was not deactivated/);
    },
  },
  {
    name: 'set-password --dry-run --logout changes nothing',
    seed: async (world) => {
      const alice = await seedAdminAlice(world);
      await seedCompatSession(world.mas, { userId: alice.id });
    },
    args: ['set-password', 'alice', '--password-stdin', '--logout', '--dry-run'],
    input: `${STRONG}\n`,
    code: 0,
    check: async (_world, run) => expect(run.json()).toMatchObject({ dry_run: true, sessions_ended: { compat: 1 } }),
  },
  {
    name: 'set-password of a user MAS does not know',
    args: ['set-password', 'nobody', '--password-stdin'],
    input: `${STRONG}\n`,
    code: 5,
    message: /@nobody:example\.test does not exist/,
  },
  {
    name: 'set-password of a user that only Synapse has',
    seed: (world) => seedUser(world.synapse, { name: '@dave:example.test' }),
    args: ['set-password', 'dave', '--password-stdin'],
    input: `${STRONG}\n`,
    code: 5,
    message: /has no user "dave", though Synapse's users table has @dave:example\.test/,
  },
  {
    name: 'set-password with passwords off in MAS',
    world: { passwords: { enabled: false } },
    seed: (world) => seedAdminAlice(world).then(() => undefined),
    args: ['set-password', 'alice', '--password-stdin'],
    input: `${STRONG}\n`,
    code: 3,
    message: /passwords\.enabled: false/,
  },
  {
    name: 'set-password refuses a weak password by MAS complexity',
    seed: (world) => seedAdminAlice(world).then(() => undefined),
    args: ['set-password', 'alice', '--password-stdin'],
    input: `${WEAK}\n`,
    code: 2,
    message: /score is 0/,
    check: async (_world, run) => expectNoSecret(run, WEAK),
  },
  {
    name: 'set-password --random-password with bcrypt as the current scheme',
    world: { passwords: { schemes: [{ version: 4, algorithm: 'bcrypt', cost: 10 }] } },
    seed: (world) => seedAdminAlice(world).then(() => undefined),
    args: ['set-password', 'alice', '--random-password'],
    code: 0,
    check: async (world, run) => {
      const { password } = run.json();
      await expectPassword(world, 'alice', password, scheme({ version: 4, algorithm: 'bcrypt', cost: 10 }), bcryptPhc(10));
    },
  },
];

const issueTokenCases: MasCase[] = [
  ...onBothVariants({
    name: "issue-token makes a compat session with Synapse admin rights for a MAS admin, and a sync-devices job",
    seed: (world) => seedAdminAlice(world).then(() => undefined),
    args: ['issue-token', 'alice'],
    code: 0,
    check: async (world, run) => {
      const out = run.json();
      const { user } = await masUser(world, 'alice');
      expect(isWellFormedMasToken(out.access_token)).toBe(true);
      expect(out.access_token).toMatch(/^mct_/);
      expect(out).toMatchObject({ ok: true, user_id: '@alice:example.test', admin: true, admin_source: 'can_request_admin' });
      expect(out.expires_at).toBe(new Date(FIXED_NOW + 3_600_000).toISOString());
      const [token] = await world.mas('compat_access_tokens').where({ access_token: out.access_token });
      expect(at(token.expires_at)).toBe(FIXED_NOW + 3_600_000);
      const session = await world.mas('compat_sessions').first('*').where({ compat_session_id: token.compat_session_id });
      expect(session).toMatchObject({ user_id: user.user_id, device_id: out.device_id, is_synapse_admin: true, finished_at: null });
      expect(session.device_id).toMatch(/^[A-Za-z0-9]{10}$/);
      expect(await queuedJobs(world.mas)).toEqual([
        { queue_name: 'sync-devices', payload: { user_id: ulidOf(user.user_id) }, status: 'available' },
      ]);
      expect(out.next).toMatch(/account\/whoami/);
      // Once: in the one JSON object, nowhere else.
      expect(run.stdout.split(out.access_token).length - 1).toBe(1);
      expect(run.stderr).not.toContain(out.access_token);
      expect(await world.synapse('access_tokens').select('*')).toEqual([]);
    },
  }),
  {
    name: 'issue-token for a user that is no MAS admin: no admin rights, and says so',
    seed: (world) => seedAdminAlice(world, { canRequestAdmin: false }).then(() => undefined),
    args: ['issue-token', 'alice', '--expires-in', 'never'],
    code: 0,
    check: async (world, run) => {
      const out = run.json();
      expect(out).toMatchObject({ admin: false, admin_source: null, expires_at: null });
      expect(out.warnings.join('\n')).toMatch(/not a MAS admin.*403/);
      const session = await world.mas('compat_sessions').first('*').where({ device_id: out.device_id });
      expect(session.is_synapse_admin).toBe(false);
      const token = await world.mas('compat_access_tokens').first('*').where({ access_token: out.access_token });
      expect(token.expires_at).toBeNull();
    },
  },
  {
    name: "issue-token gives admin rights to a user in the policy's admin_users",
    world: { adminUsers: ['alice'] },
    seed: (world) => seedAdminAlice(world, { canRequestAdmin: false }).then(() => undefined),
    args: ['issue-token', 'alice'],
    code: 0,
    check: async (world, run) => {
      expect(run.json()).toMatchObject({ admin: true, admin_source: 'policy.data.admin_users' });
      expect((await world.mas('compat_sessions').first('*').where({ device_id: run.json().device_id })).is_synapse_admin).toBe(true);
    },
  },
  ...onBothVariants({
    name: 'issue-token --device-id on a device in use adds a session and leaves the other alone, as mas-cli does',
    seed: async (world) => {
      const alice = await seedAdminAlice(world);
      await seedCompatSession(world.mas, { userId: alice.id, deviceId: 'ADMINDEV' });
    },
    args: ['issue-token', 'alice', '--device-id', 'ADMINDEV', '--expires-in', '7d'],
    code: 0,
    check: async (world, run) => {
      const sessions = await world.mas('compat_sessions').where({ device_id: 'ADMINDEV' });
      expect(sessions.map((s) => s.finished_at)).toEqual([null, null]);
      expect(run.json()).toMatchObject({ device_id: 'ADMINDEV', expires_at: new Date(FIXED_NOW + 7 * 86_400_000).toISOString() });
      expect(run.json().warnings.join('\n')).toMatch(/also held by 1 other active session/);
    },
  },
  ),
  {
    name: 'issue-token refuses a --device-id longer than Synapse takes from MAS (255)',
    seed: (world) => seedAdminAlice(world).then(() => undefined),
    args: ['issue-token', 'alice', '--device-id', 'D'.repeat(256)],
    code: 2,
    message: /256 characters long.*longer than 255/,
  },
  // Issue 20: MAS carries a compat session's device in the token's scope, and a device its
  // scope-token parser refuses makes the token "inactive" on Synapse before 1.126.
  ...(
    [
      ['an inner space', 'my phone', /U\+0020 \(space\)/],
      ['a double quote', 'dev"1', /U\+0022 '"'/],
      ['a backslash', 'dev\\1', /U\+005C '\\'/],
      ["'[' (MAS's scope check stops one short of RFC 6749's range)", 'dev[1', /U\+005B '\['/],
      ["'~' (MAS's scope check stops one short of RFC 6749's range)", 'dev~1', /U\+007E '~'/],
      ['a non-ASCII letter', 'café', /U\+00E9 'é'/],
    ] as const
  ).map(([what, deviceId, char]): MasCase => ({
    name: `issue-token refuses a --device-id with ${what}`,
    seed: (world) => seedAdminAlice(world).then(() => undefined),
    args: ['issue-token', 'alice', '--device-id', deviceId],
    code: 2,
    message: new RegExp(
      `--device-id contains ${char.source}, which MAS cannot put in the token's OAuth scope: unless both Synapse \\(1\\.126\\+\\) and MAS \\(0\\.15\\+\\).*inactive.*printable ASCII without space`,
    ),
  })),
  {
    name: 'issue-token takes a --device-id of every character a MAS scope token can hold',
    seed: (world) => seedAdminAlice(world).then(() => undefined),
    args: ['issue-token', 'alice', '--device-id', "!#$%&'()*+,-./09:;<=>?@AZ]^_`az{|}"],
    code: 0,
    check: async (world, run) => {
      expect(run.json().device_id).toBe("!#$%&'()*+,-./09:;<=>?@AZ]^_`az{|}");
      expect(await world.mas('compat_sessions').where({ device_id: run.json().device_id })).toHaveLength(1);
    },
  },
  {
    name: 'issue-token --dry-run prints no token and writes nothing',
    seed: (world) => seedAdminAlice(world).then(() => undefined),
    args: ['issue-token', 'alice', '--dry-run'],
    code: 0,
    check: async (_world, run) => {
      expect(run.json()).toMatchObject({ ok: true, dry_run: true, admin: true });
      expect(run.json()).not.toHaveProperty('access_token');
      expect(run.stdout).not.toMatch(/mct_/);
    },
  },
  {
    name: 'issue-token refuses a locked MAS user',
    seed: (world) => seedAdminAlice(world, { lockedAt: FIXED_NOW - 1000 }).then(() => undefined),
    args: ['issue-token', 'alice'],
    code: 7,
    message: /locked in MAS.*unlock alice/,
  },
  {
    name: 'issue-token refuses a deactivated MAS user',
    seed: (world) => seedAdminAlice(world, { deactivatedAt: FIXED_NOW - 1000 }).then(() => undefined),
    args: ['issue-token', 'alice'],
    code: 7,
    message: /deactivated.*set-password alice --reactivate/,
  },
  {
    name: 'issue-token for a user MAS does not know',
    seed: (world) => seedUser(world.synapse, { name: '@dave:example.test' }),
    args: ['issue-token', 'dave'],
    code: 5,
    message: /@dave:example\.test does not exist/,
  },
  {
    name: 'issue-token warns when Synapse has no account for the user yet',
    seed: async (world) => void (await seedMasUser(world.mas, { username: 'erin', canRequestAdmin: true })),
    args: ['issue-token', 'erin'],
    code: 0,
    check: async (_world, run) => expect(run.json().warnings.join('\n')).toMatch(/no account in Synapse yet.*User not found/),
  },
  {
    name: 'issue-token refuses a bad --expires-in before touching anything',
    seed: (world) => seedAdminAlice(world).then(() => undefined),
    args: ['issue-token', 'alice', '--expires-in', 'forever'],
    code: 2,
    message: /--expires-in "forever"/,
  },
];

export const credentialCases: MasCase[] = [...registerCases, ...setPasswordCases, ...issueTokenCases];
