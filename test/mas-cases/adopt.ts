// adopt on servers whose logins belong to MAS: a user Synapse made gets the MAS account syn2mas
// would give it, shown with queries that select what MAS's own lookups select
// (crates/storage-pg/src/user/mod.rs find_by_username, user/password.rs active, user/email.rs all,
// upstream_oauth2/link.rs find_by_subject, compat/session.rs list active), while Synapse's
// database stays byte for byte as it was.
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Knex } from 'knex';
import { decodeTime } from 'ulid';
import { expect } from 'vitest';
import type { MasVariant } from '../../migrations/mas/index.js';
import type { MasPasswordScheme } from '../../src/mas/config.js';
import { ulidOf } from '../../src/mas/ids.js';
import { verifyMasPassword } from '../../src/mas/password.js';
import { hashPassword } from '../../src/synapse/password.js';
import { queuedJobs, seedMasUser, seedUser, seedWorker, type MasWorld, type MasWorldOptions } from '../helpers/mas-world.js';
import { FIXED_NOW, type CliRun } from '../helpers/run-cli.js';
import type { MasCase } from './types.js';

const PEPPER = 'a-secret-pepper';
// NFKC turns the full-width letters into ASCII ones: only a scheme that normalizes, as Synapse
// does, verifies the hash Synapse made of it.
const PASSWORD = 'ｆｕｌｌwidth-Passphrase-42';
const PROVIDER_ULID = '01JSHPZHAXC50QBKH67MH33TNF';
const PROVIDER_UUID = '0196636f-c55d-6141-75ce-263d2231eaaf';
const CREATION_TS = 1_700_000_000; // seedUser's, in seconds
const ALICE = '@alice:example.test';

/** MAS's schemes as syn2mas's generated config has them: 1 = bcrypt with Synapse's pepper, 2 = argon2id. */
const SYN2MAS_SCHEMES = [
  { version: 1, algorithm: 'bcrypt' as const, unicode_normalization: true, secret: PEPPER },
  { version: 2, algorithm: 'argon2id' as const },
];
const BCRYPT_V1: MasPasswordScheme = { version: 1, algorithm: 'bcrypt', unicodeNormalization: true, cost: 12, secret: Buffer.from(PEPPER) };

const PROVIDERS = { upstream_oauth2: { providers: [{ id: PROVIDER_ULID, synapse_idp_id: 'oidc-dex', issuer: 'https://dex.example.test', client_id: 'synapse' }] } };

/** A migrated server: Synapse's pepper, syn2mas's schemes, and the dex provider mapped. */
function migrated(variant?: MasVariant, extra: Partial<MasWorldOptions> = {}): MasWorldOptions {
  return {
    ...(variant ? { variant } : {}),
    passwords: { schemes: SYN2MAS_SCHEMES },
    homeserverExtra: { password_config: { pepper: PEPPER } },
    masConfigExtra: PROVIDERS,
    ...extra,
  };
}

/**
 * MAS tables outside the tool's recorded slice that adopt writes: built here with MAS's columns
 * (migrations 20221121151402 upstream_oauth, 20241129091057 link account name, 20250124151529
 * unsupported threepids); the providers table only as far as adopt reads it.
 */
async function addUpstreamTables(db: Knex, variant: MasVariant): Promise<void> {
  await db.raw(`CREATE TABLE IF NOT EXISTS upstream_oauth_providers (
    upstream_oauth_provider_id UUID PRIMARY KEY, issuer TEXT, created_at TIMESTAMP WITH TIME ZONE NOT NULL)`);
  await db.raw(`CREATE TABLE IF NOT EXISTS upstream_oauth_links (
    upstream_oauth_link_id UUID PRIMARY KEY,
    upstream_oauth_provider_id UUID NOT NULL REFERENCES upstream_oauth_providers (upstream_oauth_provider_id),
    user_id UUID REFERENCES users (user_id),
    subject TEXT NOT NULL,
    created_at TIMESTAMP WITH TIME ZONE NOT NULL,
    human_account_name TEXT,
    CONSTRAINT upstream_oauth_links_subject_unique UNIQUE (upstream_oauth_provider_id, subject))`);
  // MAS 0.14 added it; the 0.13 world has none, as MAS 0.13 had none.
  if (variant !== '0.13') await db.raw(`CREATE TABLE IF NOT EXISTS user_unsupported_third_party_ids (
    user_id UUID NOT NULL REFERENCES users (user_id) ON DELETE CASCADE,
    medium TEXT NOT NULL, address TEXT NOT NULL, created_at TIMESTAMP WITH TIME ZONE NOT NULL,
    PRIMARY KEY (user_id, medium, address))`);
  // As `mas-cli config sync` leaves the configured provider.
  await db('upstream_oauth_providers').insert({ upstream_oauth_provider_id: PROVIDER_UUID, issuer: 'https://dex.example.test', created_at: new Date(FIXED_NOW - 86_400_000) });
}

/** Every row of every table of a database, each table's rows sorted: a byte-for-byte comparison. */
async function dumpAll(db: Knex): Promise<Record<string, string[]>> {
  const { rows } = await db.raw<{ rows: { tablename: string }[] }>('SELECT tablename FROM pg_tables WHERE schemaname = current_schema() ORDER BY tablename');
  const out: Record<string, string[]> = {};
  for (const { tablename } of rows) {
    const data: { rows: { r: string }[] } = await db.raw('SELECT to_jsonb(t)::text AS r FROM ?? t', [tablename]);
    out[tablename] = data.rows.map((x) => x.r).sort();
  }
  return out;
}

const dumps = new WeakMap<MasWorld, { synapse: Record<string, string[]>; mas: Record<string, string[]> }>();

/** Alice as Synapse made her before the move to MAS: password, email, phone, SSO link, devices, tokens. */
async function seedSynapseAlice(
  world: MasWorld,
  opts: { admin?: boolean; locked?: boolean; deactivated?: boolean; isGuest?: boolean; appserviceId?: string; externalId?: string } = {},
) {
  await addUpstreamTables(world.mas, world.variant);
  await seedWorker(world.mas);
  const hash = await hashPassword(PASSWORD, { pepper: PEPPER, bcryptRounds: 4 });
  await seedUser(world.synapse, { name: ALICE, passwordHash: opts.deactivated ? null : hash, admin: opts.admin ?? true, ...opts });
  await world.synapse('user_threepids').insert([
    { user_id: ALICE, medium: 'email', address: 'alice@example.test', validated_at: 1_700_000_100_000, added_at: 1_700_000_100_000 },
    { user_id: ALICE, medium: 'msisdn', address: '447700900000', validated_at: 1_700_000_200_000, added_at: 1_700_000_200_000 },
  ]);
  await world.synapse('user_external_ids').insert([
    { auth_provider: 'oidc-dex', external_id: opts.externalId ?? 'dex-subject-1', user_id: ALICE },
    { auth_provider: 'oidc-github', external_id: 'gh-42', user_id: ALICE },
  ]);
  await world.synapse('devices').insert([
    { user_id: ALICE, device_id: 'PHONE', display_name: 'Element on phone', last_seen: 1_700_000_500_000, ip: '192.0.2.7', user_agent: 'Element/1.0', hidden: false },
    { user_id: ALICE, device_id: 'LAPTOP', display_name: null, last_seen: null, ip: '-', user_agent: null, hidden: false },
    // Cross-signing keys live on a hidden device: not one of the user's devices.
    { user_id: ALICE, device_id: 'master-key-device', display_name: null, last_seen: null, ip: null, user_agent: null, hidden: true },
  ]);
  await world.synapse('access_tokens').insert([
    { id: 1, user_id: ALICE, device_id: 'PHONE', token: 'syt_YWxpY2U_old_token', last_validated: 1_700_000_400_000 },
  ]);
}

/** Remembers both databases in full, for a case that must leave them as they were. */
async function remember(world: MasWorld) {
  dumps.set(world, { synapse: await dumpAll(world.synapse), mas: await dumpAll(world.mas) });
}

/** Synapse's database as it was (always); MAS's too for a refusal or a dry run. */
async function expectUntouched(world: MasWorld, mas: boolean) {
  const before = dumps.get(world)!;
  expect(await dumpAll(world.synapse)).toEqual(before.synapse);
  if (mas) expect(await dumpAll(world.mas)).toEqual(before.mas);
}

/** MAS's find_by_username: LOWER(username) = LOWER($1). */
async function findByUsername(world: MasWorld, username: string) {
  const rows = await world.mas('users').select('*').whereRaw('LOWER(username) = LOWER(?)', [username]);
  expect(rows).toHaveLength(1);
  return rows[0];
}

/** What MAS's lookups find for the adopted alice, and that it is what Synapse had. */
async function expectAdoptedAlice(world: MasWorld, o: { admin: boolean; password: 'synapse' | 'none' }) {
  const user = await findByUsername(world, 'alice');
  expect(user.username).toBe('alice');
  expect(user.can_request_admin).toBe(o.admin);
  expect(new Date(user.created_at).getTime()).toBe(CREATION_TS * 1000);
  // The id is a ULID made at Synapse's creation time, as transform_user makes it.
  expect(decodeTime(ulidOf(user.user_id))).toBe(CREATION_TS * 1000);
  expect(user.locked_at).toBeNull();

  // MAS's `active`: the newest user_passwords row, checked with the scheme of its version.
  const active = await world.mas('user_passwords').first('*').where({ user_id: user.user_id }).orderBy('created_at', 'desc');
  if (o.password === 'synapse') {
    const synapseHash = (await world.synapse('users').first('password_hash').where({ name: ALICE })).password_hash;
    expect(active.hashed_password).toBe(synapseHash);
    expect(active.version).toBe(1);
    expect(SYN2MAS_SCHEMES.map((s) => s.version)).toContain(active.version);
    expect(await verifyMasPassword(PASSWORD, active.hashed_password, BCRYPT_V1)).toBe(true);
    expect(await verifyMasPassword(`${PASSWORD}x`, active.hashed_password, BCRYPT_V1)).toBe(false);
  }

  const emails = await world.mas('user_emails').select('email', 'created_at').where({ user_id: user.user_id }).orderBy('email');
  expect(emails.map((e) => e.email)).toEqual(['alice@example.test']);
  expect(new Date(emails[0].created_at).getTime()).toBe(1_700_000_100_000);
  if (world.variant !== '0.13') {
    const unsupported = await world.mas('user_unsupported_third_party_ids').select('medium', 'address').where({ user_id: user.user_id });
    expect(unsupported).toEqual([{ medium: 'msisdn', address: '447700900000' }]);
  }

  // MAS's find_by_subject for the mapped provider finds alice; the unmapped one was named.
  const link = await world.mas('upstream_oauth_links').first('*').where({ upstream_oauth_provider_id: PROVIDER_UUID, subject: 'dex-subject-1' });
  expect(link.user_id).toBe(user.user_id);
  expect(await world.mas('upstream_oauth_links').where({ user_id: user.user_id })).toHaveLength(1);

  // An active compat session per visible device, so MAS's sync-devices keeps them in Synapse; no token.
  const sessions = await world.mas('compat_sessions').select('*').where({ user_id: user.user_id }).whereNull('finished_at').orderBy('device_id');
  expect(sessions.map((s) => s.device_id)).toEqual(['LAPTOP', 'PHONE']);
  // Without a token the admin flag would grant nothing, and demote --logout would end them.
  expect(sessions.map((s) => s.is_synapse_admin)).toEqual([false, false]);
  const phone = sessions[1];
  expect(new Date(phone.created_at).getTime()).toBe(1_700_000_400_000);
  expect(phone.last_active_ip).toBe('192.0.2.7');
  expect(new Date(phone.last_active_at).getTime()).toBe(1_700_000_500_000);
  if (world.variant !== '0.13') expect(phone.human_name).toBe('Element on phone');
  expect(sessions[0].last_active_ip).toBeNull();
  expect(await world.mas('compat_access_tokens').whereIn('compat_session_id', sessions.map((s) => s.compat_session_id))).toHaveLength(0);

  // provision-user as MAS queues it for a user it registers, with no display name to set.
  const jobs = (await queuedJobs(world.mas)).filter((j) => j.payload.user_id === ulidOf(user.user_id));
  expect(jobs).toEqual([{ queue_name: 'provision-user', payload: { user_id: ulidOf(user.user_id), set_display_name: null }, status: 'available' }]);
  return user;
}

/** adopt prints no secret it handles: not Synapse's password hash, its pepper or the password. */
async function expectNoSecrets(world: MasWorld, run: CliRun) {
  const { password_hash: hash } = await world.synapse('users').first('password_hash').where({ name: ALICE });
  const printed = run.stdout + run.stderr;
  for (const secret of [hash as string, PEPPER, PASSWORD]) expect(printed).not.toContain(secret);
}

/**
 * A refusal: Synapse has alice (as `alice` says), `more` seeds the rest; both databases stay
 * exactly as they were, and with `noSecrets` nothing secret is printed either.
 */
function refusal(c: {
  name: string;
  world?: MasWorldOptions;
  alice?: Parameters<typeof seedSynapseAlice>[1];
  more?: (world: MasWorld) => Promise<unknown>;
  args: string[];
  code: number;
  message: RegExp;
  noSecrets?: true;
}): MasCase {
  return {
    name: c.name,
    world: c.world ?? migrated(),
    seed: async (world) => {
      await seedSynapseAlice(world, c.alice);
      await c.more?.(world);
      await remember(world);
    },
    args: c.args,
    code: c.code,
    message: c.message,
    check: async (world, run) => {
      await expectUntouched(world, true);
      if (c.noSecrets) await expectNoSecrets(world, run);
    },
  };
}

const adopted: MasCase[] = (['1.22', '0.13'] as const).flatMap((variant): MasCase[] => [
  {
    name: `adopt carries a Synapse admin's password hash, email, SSO link and devices, and leaves Synapse as it was, on MAS ${variant}`,
    world: migrated(variant),
    seed: async (world) => {
      await seedSynapseAlice(world);
      await remember(world);
    },
    args: ['adopt', 'alice'],
    code: 0,
    check: async (world, run) => {
      await expectUntouched(world, false);
      await expectNoSecrets(world, run);
      const user = await expectAdoptedAlice(world, { admin: true, password: 'synapse' });
      if (variant === '0.13') {
        const email = await world.mas('user_emails').first('user_email_id', 'confirmed_at').where({ user_id: user.user_id });
        expect(new Date(email.confirmed_at).getTime()).toBe(1_700_000_100_000);
        expect(user.primary_user_email_id).toBe(email.user_email_id);
      }
      const out = run.json();
      expect(out.adopted).toMatchObject({ username: 'alice', can_request_admin: true, password: 'synapse', password_version: 1, emails: 1, upstream_links: 1, devices: 2, access_tokens_not_carried: 1 });
      expect(run.stderr).toMatch(/oidc-github \(subject gh-42\) is not carried: no provider in MAS's upstream_oauth2\.providers has synapse_idp_id: oidc-github/);
      if (variant === '0.13') expect(run.stderr).toMatch(/msisdn third-party IDs are not carried: this MAS keeps none but email addresses/);
    },
  },
]);

const cases: MasCase[] = [
  ...adopted,
  {
    name: 'adopt --no-admin gives no admin permission whatever Synapse says; a full user ID works too',
    world: migrated(),
    seed: async (world) => {
      await seedSynapseAlice(world);
      await remember(world);
    },
    args: ['adopt', ALICE, '--no-admin'],
    code: 0,
    check: async (world) => {
      await expectUntouched(world, false);
      await expectAdoptedAlice(world, { admin: false, password: 'synapse' });
    },
  },
  {
    name: "adopt takes an unclaimed link MAS made when the user's SSO login was refused",
    world: migrated(),
    seed: async (world) => {
      await seedSynapseAlice(world);
      await world.mas('upstream_oauth_links').insert({
        upstream_oauth_link_id: '0196636f-c55d-6141-75ce-000000000001',
        upstream_oauth_provider_id: PROVIDER_UUID,
        user_id: null,
        subject: 'dex-subject-1',
        created_at: new Date(FIXED_NOW - 3_600_000),
      });
    },
    args: ['adopt', 'alice'],
    code: 0,
    check: async (world) => {
      const user = await findByUsername(world, 'alice');
      const links = await world.mas('upstream_oauth_links').select('upstream_oauth_link_id', 'user_id');
      expect(links).toEqual([{ upstream_oauth_link_id: '0196636f-c55d-6141-75ce-000000000001', user_id: user.user_id }]);
    },
  },
  {
    name: 'adopt --random-password gives a new password hashed with the newest scheme when none can check Synapse\'s',
    world: { homeserverExtra: { password_config: { pepper: PEPPER } }, masConfigExtra: PROVIDERS },
    seed: async (world) => {
      await seedSynapseAlice(world);
      await remember(world);
    },
    args: ['adopt', 'alice', '--random-password'],
    code: 0,
    check: async (world, run) => {
      await expectUntouched(world, false);
      const user = await findByUsername(world, 'alice');
      const active = await world.mas('user_passwords').first('*').where({ user_id: user.user_id }).orderBy('created_at', 'desc');
      const argon: MasPasswordScheme = { version: 1, algorithm: 'argon2id', unicodeNormalization: false, cost: 12 };
      expect(active.hashed_password).toMatch(/^\$argon2id\$/);
      expect(new Date(active.created_at).getTime()).toBe(FIXED_NOW);
      expect(await verifyMasPassword(run.json().password, active.hashed_password, argon)).toBe(true);
    },
  },
  {
    name: 'adopt --dry-run writes nothing in either database',
    world: migrated(),
    seed: async (world) => {
      await seedSynapseAlice(world);
      await remember(world);
    },
    args: ['adopt', 'alice', '--dry-run'],
    code: 0,
    check: async (world, run) => {
      await expectUntouched(world, true);
      expect(run.json().changes.join('\n')).toMatch(/created MAS user alice for the existing @alice:example\.test/);
    },
  },
  {
    name: "check with no MAS admin names Synapse's admin MAS lacks and `adopt`; after adopt it passes",
    world: migrated(),
    seed: async (world) => {
      await seedSynapseAlice(world);
      await remember(world);
    },
    args: ['check'],
    code: 5,
    message: /No usable admin in MAS .*Synapse's admin @alice:example\.test has no MAS account: run `adopt @alice:example\.test`/,
    check: async (world) => {
      await expectUntouched(world, true);
      expect((await world.run(['--json', 'adopt', 'alice'])).code).toBe(0);
      const after = await world.run(['--json', 'check', 'alice']);
      expect(after.code).toBe(0);
      expect(after.json().users_checked).toMatchObject([{ user_id: ALICE, in_synapse: true, in_mas: true, meaning: 'in both' }]);
    },
  },
  // Refusals: each leaves both databases exactly as they were.
  refusal({
    name: 'adopt refuses a user MAS already has, exit 6',
    more: (world) => seedMasUser(world.mas, { username: 'alice' }),
    args: ['adopt', 'alice'],
    code: 6,
    message: /already a MAS user/,
  }),
  refusal({
    name: 'adopt refuses a name MAS holds in another case, exit 6',
    more: (world) => seedMasUser(world.mas, { username: 'Alice' }),
    args: ['adopt', 'alice'],
    code: 6,
    message: /case-insensitively/,
  }),
  refusal({
    name: 'adopt refuses a user only MAS has as a MAS user, exit 6, not as unknown',
    more: (world) => seedMasUser(world.mas, { username: 'fresh' }),
    args: ['adopt', 'fresh'],
    code: 6,
    message: /already a MAS user/,
  }),
  refusal({
    name: 'adopt refuses a user Synapse does not have, exit 5',
    args: ['adopt', 'bob'],
    code: 5,
    message: /Synapse's users table has no such user.*`register bob`/,
  }),
  refusal({
    name: "adopt refuses an application service's user, exit 2",
    alice: { appserviceId: 'bridge' },
    args: ['adopt', 'alice'],
    code: 2,
    message: /application service "bridge"/,
  }),
  refusal({
    name: 'adopt refuses a user of another server, exit 2',
    args: ['adopt', '@alice:elsewhere.test'],
    code: 2,
    message: /elsewhere\.test/,
  }),
  refusal({
    name: 'adopt refuses on a server whose logins are not delegated to MAS, exit 2',
    world: migrated(undefined, { homeserverExtra: { password_config: { pepper: PEPPER }, matrix_authentication_service: { enabled: false } } }),
    args: ['adopt', 'alice'],
    code: 2,
    message: /does not hand logins to matrix-authentication-service/,
  }),
  refusal({
    name: "adopt refuses to carry a hash no MAS scheme can check, naming the fix, exit 3",
    world: { homeserverExtra: { password_config: { pepper: PEPPER } }, masConfigExtra: PROVIDERS },
    args: ['adopt', 'alice'],
    code: 3,
    message: /algorithm: bcrypt, unicode_normalization: true and secret set to Synapse's password_config\.pepper.*--random-password/s,
    noSecrets: true,
  }),
  refusal({
    name: "adopt refuses a bcrypt scheme with another pepper than Synapse's, exit 3",
    world: migrated(undefined, { passwords: { schemes: [{ ...SYN2MAS_SCHEMES[0]!, secret: 'another-pepper' }, SYN2MAS_SCHEMES[1]!] } }),
    args: ['adopt', 'alice'],
    code: 3,
    message: /no scheme in MAS's passwords\.schemes/,
    noSecrets: true,
  }),
  {
    name: 'adopt carries a deactivated user as syn2mas does: deactivated at its creation, no devices, no job',
    world: migrated(),
    seed: (world) => seedSynapseAlice(world, { deactivated: true, admin: false }),
    args: ['adopt', 'alice'],
    code: 0,
    check: async (world) => {
      const user = await findByUsername(world, 'alice');
      expect(new Date(user.deactivated_at).getTime()).toBe(CREATION_TS * 1000);
      expect(await world.mas('user_passwords').where({ user_id: user.user_id })).toHaveLength(0);
      expect(await world.mas('compat_sessions').where({ user_id: user.user_id })).toHaveLength(0);
      expect(await world.mas('user_unsupported_third_party_ids').where({ user_id: user.user_id })).toHaveLength(0);
      expect(await queuedJobs(world.mas)).toEqual([]);
    },
  },
  {
    name: "adopt carries a guest as syn2mas does, with no devices and no job, as sync-devices would delete Synapse's",
    world: migrated(),
    seed: async (world) => {
      await seedSynapseAlice(world, { isGuest: true, admin: false });
      await remember(world);
    },
    args: ['adopt', 'alice'],
    code: 0,
    check: async (world) => {
      await expectUntouched(world, false);
      const user = await findByUsername(world, 'alice');
      expect(user.is_guest).toBe(true);
      expect(await world.mas('compat_sessions').where({ user_id: user.user_id })).toHaveLength(0);
      expect(await queuedJobs(world.mas)).toEqual([]);
    },
  },
  refusal({
    name: 'adopt refuses a deactivated user on a MAS without deactivated accounts, exit 7',
    world: migrated('0.13'),
    alice: { deactivated: true },
    args: ['adopt', 'alice'],
    code: 7,
    message: /deactivated in Synapse, and this MAS .* has no deactivated accounts/,
  }),
  {
    name: 'adopt carries a locked user as syn2mas does: locked at its creation',
    world: migrated(),
    seed: (world) => seedSynapseAlice(world, { locked: true, admin: false }),
    args: ['adopt', 'alice'],
    code: 0,
    check: async (world) => {
      const user = await findByUsername(world, 'alice');
      expect(new Date(user.locked_at).getTime()).toBe(CREATION_TS * 1000);
      expect(user.can_request_admin).toBe(false);
    },
  },
];

const STRONG = 'a-Long-enough-passphrase-42';

/** The apply file (and pw.txt) in the world's directory. */
async function applyFile(world: MasWorld, yaml: string): Promise<void> {
  await writeFile(join(world.dir, 'users.yaml'), yaml);
  await writeFile(join(world.dir, 'pw.txt'), `${STRONG}\n`);
}

const ADOPT_FILE = `users:
  - user: alice
    adopt: true
  - user: bob
    adopt: true
    password_file: pw.txt
`;

const applyCases: MasCase[] = [
  {
    name: 'apply adopts a Synapse-only user listed with adopt: true, creates a new one beside it, and is then applied',
    world: migrated(),
    seed: async (world) => {
      await seedSynapseAlice(world);
      await applyFile(world, ADOPT_FILE);
      await remember(world);
    },
    args: ['apply', 'users.yaml'],
    code: 0,
    check: async (world, run) => {
      await expectUntouched(world, false);
      await expectAdoptedAlice(world, { admin: true, password: 'synapse' });
      const out = run.json();
      expect(out).toMatchObject({ adopted: 1, created: 1 });
      expect(out.users.map((u: { user_id: string; action: string }) => [u.user_id, u.action])).toEqual([
        [ALICE, 'adopt'],
        ['@bob:example.test', 'create'],
      ]);
      expect(run.stderr).toMatch(/oidc-github \(subject gh-42\) is not carried/);
      // The same file again: nothing left to do, in either database.
      await remember(world);
      const again = await world.run(['--json', 'apply', 'users.yaml']);
      expect(again.code).toBe(0);
      expect(again.json()).toMatchObject({ changed: false, adopted: 0, unchanged: 2 });
      await expectUntouched(world, true);
    },
  },
  refusal({
    name: 'apply refuses a Synapse-only user without adopt: true, naming it, both databases unchanged',
    more: (world) => applyFile(world, 'users:\n  - user: alice\n    password_file: pw.txt\n  - user: bob\n    adopt: true\n    password_file: pw.txt\n'),
    args: ['apply', 'users.yaml'],
    code: 2,
    message: /users\.yaml:2: User @alice:example\.test already exists\. .*`adopt @alice:example\.test`.*or give it adopt: true in the file/s,
  }),
  {
    name: "apply refuses adopt: true when no MAS scheme can check the Synapse hash, unless the file gives a password",
    world: { homeserverExtra: { password_config: { pepper: PEPPER } }, masConfigExtra: PROVIDERS },
    seed: async (world) => {
      await seedSynapseAlice(world);
      await applyFile(world, 'users:\n  - user: alice\n    adopt: true\n');
      await remember(world);
    },
    args: ['apply', 'users.yaml'],
    code: 2,
    message: /users\.yaml:2: .*no scheme in MAS's passwords\.schemes .*can check it/s,
    check: async (world) => {
      await expectUntouched(world, true);
      await applyFile(world, 'users:\n  - user: alice\n    adopt: true\n    admin: false\n    password_file: pw.txt\n');
      const run = await world.run(['--json', 'apply', 'users.yaml']);
      expect(run.code).toBe(0);
      const user = await findByUsername(world, 'alice');
      expect(user.can_request_admin).toBe(false);
      const active = await world.mas('user_passwords').first('*').where({ user_id: user.user_id }).orderBy('created_at', 'desc');
      expect(await verifyMasPassword(STRONG, active.hashed_password, { version: 1, algorithm: 'argon2id', unicodeNormalization: false, cost: 12 })).toBe(true);
    },
  },
  refusal({
    name: "apply refuses adopt: true for an application service's user",
    alice: { appserviceId: 'bridge' },
    more: (world) => applyFile(world, 'users:\n  - user: alice\n    adopt: true\n'),
    args: ['apply', 'users.yaml'],
    code: 2,
    message: /application service "bridge"/,
  }),
  refusal({
    name: 'apply refuses adopt: true where Synapse owns the logins',
    world: migrated(undefined, { homeserverExtra: { password_config: { pepper: PEPPER }, matrix_authentication_service: { enabled: false } } }),
    more: (world) => applyFile(world, 'users:\n  - user: alice\n    adopt: true\n'),
    args: ['apply', 'users.yaml'],
    code: 2,
    message: /users\.yaml:3: .*adopt: true, but adoption is for servers whose logins belong to matrix-authentication-service/,
  }),
];

export const adoptCases: MasCase[] = cases;
export const adoptApplyCases: MasCase[] = applyCases;
