// apply FILE on servers whose logins belong to MAS: the users of a file made so in MAS's database.
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { expect } from 'vitest';
import type { MasPasswordScheme } from '../../src/mas/config.js';
import { ulidOf } from '../../src/mas/ids.js';
import { hashMasPassword, verifyMasPassword } from '../../src/mas/password.js';
import { queuedJobs, seedCompatSession, seedMasUser, seedUser, type MasWorld } from '../helpers/mas-world.js';
import { FIXED_NOW } from '../helpers/run-cli.js';
import type { MasCase } from './types.js';

const STRONG = 'a-Long-enough-passphrase-42';
const OTHER = 'another-Long-passphrase-77';
const ARGON2ID_V1: MasPasswordScheme = { version: 1, algorithm: 'argon2id', unicodeNormalization: false, cost: 12 };
// MAS's own argon2id vector (no pepper) for 'hunter2': a hash MAS's default scheme checks.
const HUNTER2_ARGON2ID = '$argon2id$v=19$m=19456,t=2,p=1$1WdxAF1UChkYSTnJ6NDbKg$ajKAfwlUmkbxITSdh55j+Hvoxzppx20ArNUF44oV9Nk';
const PBKDF2_HASH = '$pbkdf2-sha256$i=600000,l=32$MTIzNDU2Nzg5MDEyMzQ1Ng$ajKAfwlUmkbxITSdh55j+Hvoxzppx20ArNUF44oV9Nk';

/** Writes the apply file (and a password file holding `password`) into the world's directory. */
async function files(world: MasWorld, yaml: string | Buffer, passwords: Record<string, string> = { 'pw.txt': STRONG }): Promise<void> {
  await writeFile(join(world.dir, 'users.yaml'), yaml);
  for (const [name, pw] of Object.entries(passwords)) await writeFile(join(world.dir, name), `${pw}\n`);
}

async function masUser(world: MasWorld, username: string) {
  const user = await world.mas('users').first('*').where({ username });
  const passwords = user === undefined ? [] : await world.mas('user_passwords').where({ user_id: user.user_id }).orderBy('created_at');
  return { user, passwords };
}

async function passwordRowCount(world: MasWorld): Promise<number> {
  return Number((await world.mas('user_passwords').count({ n: '*' }))[0]!.n);
}

/** A MAS admin that is not in the file, so a file's admins: exclusive has someone to demote. */
const seedRoot = (world: MasWorld) => seedMasUser(world.mas, { username: 'root', canRequestAdmin: true });

const CREATE_FILE = `users:
  - user: alice
    admin: true
    password_file: pw.txt
  - user: "@bob:example.test"
    random_password: true
    displayname: Bob the Builder
  - user: carol
    password_hash: "${HUNTER2_ARGON2ID}"
`;

const createdCases: MasCase[] = [
  {
    name: 'apply creates MAS users: rows, password rows by scheme version, can_request_admin, one provision-user job each',
    seed: (world) => files(world, CREATE_FILE),
    args: ['apply', 'users.yaml'],
    code: 0,
    check: async (world, run) => {
      const alice = await masUser(world, 'alice');
      const bob = await masUser(world, 'bob');
      const carol = await masUser(world, 'carol');
      expect(alice.user).toMatchObject({ can_request_admin: true, locked_at: null });
      expect(bob.user.can_request_admin).toBe(false);
      expect(carol.user.can_request_admin).toBe(false);
      expect(new Date(alice.user.created_at).getTime()).toBe(FIXED_NOW);
      for (const { passwords } of [alice, bob, carol]) {
        expect(passwords).toHaveLength(1);
        expect(passwords[0]).toMatchObject({ version: 1, upgraded_from_id: null });
      }
      expect(await verifyMasPassword(STRONG, alice.passwords[0].hashed_password, ARGON2ID_V1)).toBe(true);
      expect(alice.passwords[0].hashed_password).toMatch(/^\$argon2id\$v=19\$m=19456,t=2,p=1\$/);
      expect(carol.passwords[0].hashed_password).toBe(HUNTER2_ARGON2ID);
      const json = run.json();
      expect(json).toMatchObject({ ok: true, changed: true, dry_run: false, created: 3, updated: 0, demoted: 0, unchanged: 0 });
      expect(json.users.map((u: { changes: string[] }) => u.changes)).toEqual([
        ['created MAS user @alice:example.test (may request admin), display name "alice"'],
        ['created MAS user @bob:example.test, display name "Bob the Builder"'],
        ['created MAS user @carol:example.test, display name "carol"'],
      ]);
      const generated = json.users.find((u: { user_id: string }) => u.user_id === '@bob:example.test').password;
      expect(await verifyMasPassword(generated, bob.passwords[0].hashed_password, ARGON2ID_V1)).toBe(true);
      // Exactly the jobs MAS's registration schedules; the Synapse accounts are the worker's to make.
      const jobs = await queuedJobs(world.mas);
      expect(jobs.map((j) => j.payload).sort((a, b) => String(a.user_id).localeCompare(String(b.user_id)))).toEqual(
        [
          { user_id: ulidOf(alice.user.user_id), set_display_name: null },
          { user_id: ulidOf(bob.user.user_id), set_display_name: 'Bob the Builder' },
          { user_id: ulidOf(carol.user.user_id), set_display_name: null },
        ].sort((a, b) => a.user_id.localeCompare(b.user_id)),
      );
      expect(jobs.every((j) => j.queue_name === 'provision-user' && j.status === 'available')).toBe(true);
      expect(await world.synapse('users').select('name')).toEqual([]);
      expect(json.notes.join('\n')).toMatch(/provision-user jobs/);
      expect(run.stdout).not.toContain(STRONG);
      expect(run.stdout).not.toContain(HUNTER2_ARGON2ID);
    },
  },
  {
    name: 'apply of a file already applied in MAS changes nothing and says so',
    seed: async (world) => {
      await files(world, CREATE_FILE.replace(/random_password: true/, 'password_file: pw.txt'));
      expect((await world.run(['apply', 'users.yaml'])).code).toBe(0);
    },
    args: ['apply', 'users.yaml'],
    code: 0,
    unchanged: true,
    check: async (_world, run) => {
      expect(run.json()).toMatchObject({ changed: false, created: 0, unchanged: 3, notes: [] });
    },
  },
  {
    name: 'apply --dry-run on MAS shows the plan and writes nothing',
    seed: (world) => files(world, CREATE_FILE),
    args: ['apply', 'users.yaml', '--dry-run'],
    code: 0,
    check: async (_world, run) => {
      expect(run.json()).toMatchObject({ changed: true, dry_run: true, created: 3 });
      expect(run.json().users.some((u: { password?: string }) => u.password !== undefined)).toBe(false);
    },
  },
  {
    name: 'apply with MAS passwords off creates users without a password row',
    world: { passwords: { enabled: false } },
    seed: (world) => files(world, 'users:\n  - user: dave\n    admin: true\n'),
    args: ['apply', 'users.yaml'],
    code: 0,
    check: async (world) => {
      const dave = await masUser(world, 'dave');
      expect(dave.user.can_request_admin).toBe(true);
      expect(dave.passwords).toEqual([]);
      expect((await queuedJobs(world.mas)).map((j) => j.payload)).toEqual([{ user_id: ulidOf(dave.user.user_id), set_display_name: null }]);
    },
  },
];

// Scheme 1 bcrypt with a pepper (as syn2mas writes it), scheme 2 argon2id hashes new passwords.
const BCRYPT_V1: MasPasswordScheme = { version: 1, algorithm: 'bcrypt', unicodeNormalization: false, cost: 4, secret: Buffer.from('old-pepper') };
const ARGON2ID_V2: MasPasswordScheme = { ...ARGON2ID_V1, version: 2 };
const TWO_SCHEMES = { passwords: { schemes: [{ version: 1, algorithm: 'bcrypt' as const, cost: 4, secret: 'old-pepper' }, { version: 2, algorithm: 'argon2id' as const }] } };

const updateCases: MasCase[] = [
  {
    name: 'apply update_password: always checks each row with its version\'s scheme and rewrites only mismatches',
    world: TWO_SCHEMES,
    seed: async (world) => {
      await seedRoot(world);
      // Matches under its own version (bcrypt with the pepper), though the current scheme is argon2id.
      await seedMasUser(world.mas, { username: 'alice', passwordHash: await hashMasPassword(STRONG, BCRYPT_V1), version: 1 });
      await seedMasUser(world.mas, { username: 'bob', passwordHash: await hashMasPassword(OTHER, ARGON2ID_V2), version: 2 });
      // The right password, under a version no scheme has: MAS cannot check it, so it is rewritten.
      await seedMasUser(world.mas, { username: 'carol', passwordHash: await hashMasPassword(STRONG, ARGON2ID_V2), version: 7 });
      await files(world, 'update_password: always\nusers:\n  - user: alice\n    password_file: pw.txt\n  - user: bob\n    password_file: pw.txt\n  - user: carol\n    password_file: pw.txt\n');
    },
    args: ['apply', 'users.yaml'],
    code: 0,
    check: async (world, run) => {
      expect(run.json()).toMatchObject({ changed: true, updated: 2, unchanged: 1 });
      expect((await masUser(world, 'alice')).passwords).toHaveLength(1);
      for (const name of ['bob', 'carol']) {
        const { passwords } = await masUser(world, name);
        expect(passwords).toHaveLength(2);
        expect(passwords[1]).toMatchObject({ version: 2, upgraded_from_id: null });
        expect(await verifyMasPassword(STRONG, passwords[1].hashed_password, ARGON2ID_V2)).toBe(true);
      }
      // Nothing for the worker: a password lives in MAS only.
      expect(await queuedJobs(world.mas)).toEqual([]);
    },
  },
  {
    name: 'apply update_password: always with every password matching writes nothing',
    world: TWO_SCHEMES,
    seed: async (world) => {
      await seedRoot(world);
      await seedMasUser(world.mas, { username: 'alice', passwordHash: await hashMasPassword(STRONG, BCRYPT_V1), version: 1 });
      await files(world, 'update_password: always\nusers:\n  - user: alice\n    password_file: pw.txt\n');
    },
    args: ['apply', 'users.yaml'],
    code: 0,
    unchanged: true,
    check: async (_world, run) => expect(run.json()).toMatchObject({ changed: false, unchanged: 1 }),
  },
  {
    name: 'apply password_hash of bcrypt on MAS is stored with the bcrypt scheme\'s version',
    world: TWO_SCHEMES,
    seed: async (world) => {
      await seedRoot(world);
      await files(world, `users:\n  - user: erin\n    password_hash: "${await hashMasPassword(STRONG, BCRYPT_V1)}"\n`);
    },
    args: ['apply', 'users.yaml'],
    code: 0,
    check: async (world) => {
      const { passwords } = await masUser(world, 'erin');
      expect(passwords).toHaveLength(1);
      expect(passwords[0].version).toBe(1);
      expect(await verifyMasPassword(STRONG, passwords[0].hashed_password, BCRYPT_V1)).toBe(true);
    },
  },
  {
    name: 'apply admins: exclusive demotes MAS admins not listed and warns about policy.data.admin_users',
    world: { adminUsers: ['ops'] },
    seed: async (world) => {
      const root = await seedRoot(world);
      await seedCompatSession(world.mas, { userId: root.id, isSynapseAdmin: true });
      await seedMasUser(world.mas, { username: 'ops', canRequestAdmin: true });
      await seedMasUser(world.mas, { username: 'alice', passwordHash: await hashMasPassword(STRONG, ARGON2ID_V1) });
      await files(world, 'admins: exclusive\nusers:\n  - user: alice\n    admin: true\n');
    },
    args: ['apply', 'users.yaml'],
    code: 0,
    check: async (world, run) => {
      const flags = await world.mas('users').select('username', 'can_request_admin').orderBy('username');
      expect(flags).toEqual([
        { username: 'alice', can_request_admin: true },
        { username: 'ops', can_request_admin: false },
        { username: 'root', can_request_admin: false },
      ]);
      expect(run.json()).toMatchObject({ updated: 1, demoted: 2 });
      // can_request_admin lets a user ask for the admin scope: said so, not as Synapse's admin flag.
      expect(run.json().users).toEqual(
        expect.arrayContaining([
          { user_id: '@alice:example.test', action: 'update', changes: ['@alice:example.test: may request admin: no -> yes'] },
          { user_id: '@root:example.test', action: 'demote', changes: ['@root:example.test: may request admin: yes -> no (not listed, admins: exclusive)'] },
        ]),
      );
      expect(run.json().warnings.join('\n')).toMatch(/ops is in policy\.data\.admin_users of MAS's config/);
      // As demote says it: the permission is gone, the admin session is not.
      expect(run.json().warnings.join('\n')).toMatch(/root still holds 1 compat .*demote root --logout/);
      expect(await passwordRowCount(world)).toBe(1);
    },
  },
];

const refusalCases: MasCase[] = [
  {
    name: 'apply refuses a name Synapse has but MAS has not, with both databases unchanged',
    seed: async (world) => {
      await seedRoot(world);
      await seedUser(world.synapse, { name: '@frank:example.test', passwordHash: null });
      await files(world, 'users:\n  - user: frank\n    password_file: pw.txt\n  - user: gina\n    password_file: pw.txt\n');
    },
    args: ['apply', 'users.yaml'],
    code: 2,
    message: /@frank:example\.test.*Synapse's users table/,
  },
  {
    name: 'apply refuses a name Synapse has in two cases (neither exact) but MAS has not',
    seed: async (world) => {
      await seedRoot(world);
      await seedUser(world.synapse, { name: '@Pat:example.test', passwordHash: null });
      await seedUser(world.synapse, { name: '@PAT:example.test', passwordHash: null });
      await files(world, 'users:\n  - user: pat\n    password_file: pw.txt\n');
    },
    args: ['apply', 'users.yaml'],
    code: 2,
    message: /in Synapse's users table, @pat:example\.test matches several users that differ only in case/,
  },
  {
    name: 'apply on MAS refuses user_type and hashes no scheme of MAS checks, each with its line',
    seed: async (world) => {
      await seedRoot(world);
      await files(
        world,
        `users:\n  - user: hal\n    user_type: bot\n    password_file: pw.txt\n` +
          `  - user: jo\n    password_hash: "${PBKDF2_HASH}"\n  - user: kim\n    password_hash: "$argon2id$nonsense"\n`,
      );
    },
    args: ['apply', 'users.yaml'],
    code: 2,
    message: /users\.yaml:3: .*MAS has no user types/,
    check: async (_world, run) => {
      const message: string = run.json().error.message;
      expect(message).toMatch(/users\.yaml:6: .*pbkdf2 hash, but no scheme in MAS's passwords\.schemes uses pbkdf2/);
      expect(message).toMatch(/users\.yaml:8: .*not a hash MAS can check/);
      expect(message).not.toContain('nonsense');
    },
  },
  {
    name: 'apply on MAS refuses a Latin-1 file (nothing reaches MAS) and never prints a value under a password key',
    seed: async (world) => {
      await seedRoot(world);
      await files(world, Buffer.from('users:\n  - user: jm\n    password_file: 918273645\n    displayname: J\u00fcrgen M\u00fcller\n', 'latin1'));
    },
    args: ['apply', 'users.yaml'],
    code: 2,
    message: /users\.yaml:4:19: not valid UTF-8 \(byte 67 of the file\)/,
    check: async (world) => {
      expect(await masUser(world, 'jm')).toMatchObject({ user: undefined });
      await writeFile(join(world.dir, 'users.yaml'), 'users:\n  - user: jm\n    password_file: 918273645\n');
      const again = await world.run(['--json', 'apply', 'users.yaml']);
      expect(again.json().error.message).toMatch(/users\.yaml:3: password_file must be a string, not a number \(the value is not shown/);
      expect(again.stdout + again.stderr).not.toContain('918273645');
    },
  },
  {
    name: 'apply on MAS refuses new names against MAS rules and passwords below minimum_complexity',
    seed: async (world) => {
      await seedRoot(world);
      await files(world, 'users:\n  - user: Ivy\n    password_file: pw.txt\n  - user: lee\n    password_file: weak.txt\n', {
        'pw.txt': STRONG,
        'weak.txt': 'password1',
      });
    },
    args: ['apply', 'users.yaml'],
    code: 2,
    message: /users\.yaml:2: .*"Ivy" cannot be a new MAS username: it is not lower case/,
    check: async (_world, run) => {
      const message: string = run.json().error.message;
      expect(message).toMatch(/users\.yaml:4: the password of @lee:example\.test does not meet MAS's passwords\.minimum_complexity: its complexity score is \d/);
      expect(message).not.toContain('password1');
    },
  },
  {
    name: 'apply on MAS with passwords off refuses password entries',
    world: { passwords: { enabled: false } },
    seed: async (world) => {
      await seedRoot(world);
      await files(world, 'users:\n  - user: mia\n    password_file: pw.txt\n');
    },
    args: ['apply', 'users.yaml'],
    code: 2,
    message: /Passwords are off in MAS/,
  },
  {
    name: 'apply on MAS refuses to leave no usable admin',
    seed: async (world) => {
      await seedRoot(world);
      await files(world, 'admins: exclusive\nusers:\n  - user: nina\n    password_file: pw.txt\n');
    },
    args: ['apply', 'users.yaml'],
    code: 2,
    message: /no usable admin/,
  },
  // Issue 20: MAS's policy makes admins of the names in policy.data.admin_users, and apply changes
  // rows, not MAS's config: a usable MAS user named there is an admin apply leaves.
  {
    name: "apply admins: exclusive counts a usable user in MAS's policy.data.admin_users as the admin left",
    world: { adminUsers: ['ops'] },
    seed: async (world) => {
      await seedRoot(world);
      await seedMasUser(world.mas, { username: 'ops' });
      await files(world, 'admins: exclusive\nusers:\n  - user: nina\n    password_file: pw.txt\n');
    },
    args: ['apply', 'users.yaml'],
    code: 0,
    check: async (world, run) => {
      expect(run.json()).toMatchObject({ created: 1, demoted: 1 });
      expect((await world.mas('users').first('can_request_admin').where({ username: 'root' })).can_request_admin).toBe(false);
      expect(run.json().warnings.join('\n')).toMatch(/ops is in policy\.data\.admin_users of MAS's config/);
    },
  },
  ...(['locked', 'deactivated', 'missing'] as const).map((state): MasCase => ({
    name: `apply admins: exclusive does not count a ${state} user of policy.data.admin_users as an admin left`,
    world: { adminUsers: ['ops'] },
    seed: async (world) => {
      await seedRoot(world);
      if (state === 'locked') await seedMasUser(world.mas, { username: 'ops', lockedAt: FIXED_NOW - 1000 });
      if (state === 'deactivated') await seedMasUser(world.mas, { username: 'ops', deactivatedAt: FIXED_NOW - 1000 });
      await files(world, 'admins: exclusive\nusers:\n  - user: nina\n    password_file: pw.txt\n');
    },
    args: ['apply', 'users.yaml'],
    code: 2,
    message: /no usable admin/,
  })),
  // Issue 16: MAS's bcrypt takes a cost of 31, and one login at it runs for about 36 hours.
  {
    name: 'apply on MAS refuses a bcrypt password_hash of cost 31 for the only admin under admins: exclusive',
    world: TWO_SCHEMES,
    seed: async (world) => {
      await seedRoot(world);
      await files(world, 'admins: exclusive\nusers:\n  - user: pia\n    admin: true\n    password_hash: "$2b$31$abcdefghijklmnopqrstuu5Hs0pMEYh6gbldvQ3d6cTdiEW4nUAMW"\n');
    },
    args: ['apply', 'users.yaml'],
    code: 2,
    message: /users\.yaml:5: password_hash of @pia:example\.test has cost 31: each login would take 524288 times as long/,
    check: async (_world, run) => expect(run.stderr).not.toContain('abcdefghijklmnopqrstuu'),
  },
  {
    name: 'apply on MAS reads no password file of a user that keeps its password',
    seed: async (world) => {
      await seedRoot(world);
      await seedMasUser(world.mas, { username: 'quinn' });
      await files(world, 'users:\n  - user: quinn\n    admin: true\n    password_file: removed-secret\n', {});
    },
    args: ['apply', 'users.yaml'],
    code: 0,
    check: async (world) => expect((await masUser(world, 'quinn')).user.can_request_admin).toBe(true),
  },
  {
    name: 'apply on MAS refuses a deactivated user, with both databases unchanged',
    world: { variant: '1.22' },
    seed: async (world) => {
      await seedRoot(world);
      await seedMasUser(world.mas, { username: 'olga', deactivatedAt: FIXED_NOW - 1000 });
      await files(world, 'users:\n  - user: olga\n    admin: true\n');
    },
    args: ['apply', 'users.yaml'],
    code: 2,
    message: /olga: the account is deactivated in MAS/,
  },
];

export const applyCases: MasCase[] = [...createdCases, ...updateCases, ...refusalCases];
