// promote, demote, unlock, list-admins and check on servers whose logins belong to MAS.
import { expect } from 'vitest';
import {
  queuedJobs,
  seedCompatSession,
  seedMasUser,
  seedOAuthSession,
  seedUser,
  seedWorker,
  type MasWorld,
  type SeedMasUser,
  type SeededMasUser,
} from '../helpers/mas-world.js';
import { FIXED_NOW } from '../helpers/run-cli.js';
import type { MasCase } from './types.js';

const HS = 'example.test';
const DAY = 86_400_000;

async function masUser(world: MasWorld, username: string) {
  return world.mas('users').first('*').where({ username });
}

/** A user on both sides, as MAS's provisioning leaves it; MAS's worker alive unless told otherwise. */
async function both(world: MasWorld, username: string, opts: Omit<SeedMasUser, 'username'> = {}) {
  const seeded = await seedMasUser(world.mas, { username, ...opts });
  await seedUser(world.synapse, { name: `@${username}:${HS}`, passwordHash: null });
  return seeded;
}

/** The admin of most cases: alice, who may request admin, and a second usable admin, root. */
async function twoAdmins(world: MasWorld): Promise<SeededMasUser> {
  const alice = await both(world, 'alice', { canRequestAdmin: true });
  await both(world, 'root', { canRequestAdmin: true });
  await seedWorker(world.mas);
  return alice;
}

/** alice with what an admin accumulates: an issue-token session, a client session, an admin client's session. */
async function aliceWithSessions(world: MasWorld): Promise<SeededMasUser> {
  const alice = await twoAdmins(world);
  await seedCompatSession(world.mas, { userId: alice.id, isSynapseAdmin: true, deviceId: 'ADMINTOKEN' });
  await seedCompatSession(world.mas, { userId: alice.id, deviceId: 'PHONE' });
  await seedCompatSession(world.mas, { userId: alice.id, isSynapseAdmin: true, deviceId: 'OLD', finishedAt: FIXED_NOW - DAY / 2 });
  await seedOAuthSession(world.mas, { userId: alice.id });
  await seedOAuthSession(world.mas, { userId: alice.id, scopes: ['openid', 'urn:matrix:client:api:*'] });
  return alice;
}

async function compatFinished(world: MasWorld): Promise<Record<string, string | null>> {
  const rows = await world.mas('compat_sessions').select('device_id', 'finished_at');
  return Object.fromEntries(rows.map((r) => [r.device_id, r.finished_at === null ? null : new Date(r.finished_at).toISOString()]));
}

const NOW_ISO = new Date(FIXED_NOW).toISOString();

/** Makes every insert into MAS's queue fail, as a crash between the change and its job would. */
async function breakQueueInserts(world: MasWorld): Promise<void> {
  await world.mas.raw("CREATE FUNCTION sab_fail() RETURNS trigger AS $$ BEGIN RAISE EXCEPTION 'injected failure'; END $$ LANGUAGE plpgsql");
  await world.mas.raw('CREATE TRIGGER sab_fail BEFORE INSERT ON queue_jobs FOR EACH ROW EXECUTE FUNCTION sab_fail()');
}

const promoteCases: MasCase[] = [
  {
    name: 'promote lets a MAS user request admin rights, and says what that means',
    seed: async (world) => {
      await both(world, 'bob');
      await seedWorker(world.mas);
    },
    args: ['promote', 'bob'],
    code: 0,
    check: async (world, run) => {
      expect((await masUser(world, 'bob')).can_request_admin).toBe(true);
      const out = run.json();
      expect(out).toMatchObject({ ok: true, user_id: '@bob:example.test', changed: true, changes: ['bob: may request admin: no -> yes'], jobs: [] });
      expect(out.notes.join('\n')).toMatch(/urn:synapse:admin:\*.*Synapse Admin\/Ketesa, Element Admin/);
      expect(out.notes.join('\n')).toContain('`issue-token bob`');
      expect(out.warnings).toEqual([]);
      // Synapse's own flag decides nothing here and stays as it was; no job is needed.
      expect(Number((await world.synapse('users').first('admin').where({ name: '@bob:example.test' })).admin)).toBe(0);
      expect(await queuedJobs(world.mas)).toEqual([]);
    },
  },
  {
    name: 'promote, then demote: in MAS\'s terms, never "restart Synapse"',
    seed: async (world) => {
      await both(world, 'bob');
      await seedWorker(world.mas);
    },
    args: ['promote', 'bob'],
    code: 0,
    check: async (world) => {
      const run = await world.run(['demote', 'bob']);
      expect(run.code).toBe(0);
      expect(run.stdout).toMatch(/may no longer request admin rights/);
      expect(run.stdout + run.stderr).not.toMatch(/[Rr]estart/);
    },
  },
  {
    name: 'promote of a user who may already request admin changes nothing',
    seed: async (world) => {
      await both(world, 'alice', { canRequestAdmin: true });
      await seedWorker(world.mas);
    },
    args: ['promote', '@alice:example.test'],
    code: 0,
    unchanged: true,
    check: async (_world, run) => expect(run.json()).toMatchObject({ ok: true, changed: false, changes: [] }),
  },
  {
    name: 'promote --dry-run writes nothing and shows the change',
    seed: async (world) => {
      await both(world, 'bob');
      await seedWorker(world.mas);
    },
    args: ['--dry-run', 'promote', 'bob'],
    code: 0,
    check: async (_world, run) =>
      expect(run.json()).toMatchObject({ changed: true, dry_run: true, changes: ['bob: may request admin: no -> yes'] }),
  },
  {
    name: 'promote of a user Synapse has but MAS has not says so, and what to do',
    seed: async (world) => {
      await seedUser(world.synapse, { name: '@carol:example.test' });
      await seedWorker(world.mas);
    },
    args: ['promote', 'carol'],
    code: 5,
    message: /@carol:example\.test does not exist\. .*has no user "carol", though Synapse's users table has @carol:example\.test.*`adopt carol`/,
  },
  {
    name: 'promote of a user on neither side',
    seed: (world) => seedWorker(world.mas).then(() => undefined),
    args: ['promote', 'nobody'],
    code: 5,
    message: /has no user "nobody"; Synapse's users table has no @nobody:example\.test either\. .*`register nobody`/,
  },
  {
    name: "promote finds a user case-insensitively, as MAS's lookup does",
    seed: async (world) => {
      await both(world, 'Bob');
      await seedWorker(world.mas);
    },
    args: ['promote', 'bob'],
    code: 0,
    check: async (world, run) => {
      expect(run.json().user_id).toBe('@Bob:example.test');
      expect((await masUser(world, 'Bob')).can_request_admin).toBe(true);
    },
  },
  {
    name: 'promote takes the exact-case user among case variants',
    seed: async (world) => {
      await both(world, 'Bob');
      await seedMasUser(world.mas, { username: 'bob' });
      await seedWorker(world.mas);
    },
    args: ['promote', 'bob'],
    code: 0,
    check: async (world) => {
      expect((await masUser(world, 'bob')).can_request_admin).toBe(true);
      expect((await masUser(world, 'Bob')).can_request_admin).toBe(false);
    },
  },
  {
    name: 'promote refuses to guess among case variants when none is exact',
    seed: async (world) => {
      await seedMasUser(world.mas, { username: 'Bob' });
      await seedMasUser(world.mas, { username: 'BOB' });
      await seedWorker(world.mas);
    },
    args: ['promote', 'bob'],
    code: 2,
    message: /"bob" matches several MAS users that differ only in case \((Bob, BOB|BOB, Bob)\).*Give the exact username/,
  },
  {
    name: 'promote of a deactivated MAS user is refused with the way back',
    seed: async (world) => {
      await both(world, 'gone', { deactivatedAt: FIXED_NOW - DAY });
      await seedWorker(world.mas);
    },
    args: ['promote', 'gone'],
    code: 7,
    message: /deactivated in MAS\. .*`set-password gone --reactivate`/,
  },
  {
    name: 'promote of a MAS guest is refused',
    seed: async (world) => {
      await seedMasUser(world.mas, { username: 'guest1', isGuest: true });
      await seedWorker(world.mas);
    },
    args: ['promote', 'guest1'],
    code: 7,
    message: /guest account in MAS/,
  },
  {
    name: 'promote of a locked user works and warns it cannot log in',
    seed: async (world) => {
      await both(world, 'bob', { lockedAt: FIXED_NOW - DAY });
      await seedWorker(world.mas);
    },
    args: ['promote', 'bob'],
    code: 0,
    check: async (world, run) => {
      expect((await masUser(world, 'bob')).can_request_admin).toBe(true);
      expect(run.json().warnings.join('\n')).toMatch(/bob is locked in MAS.*`unlock bob`/);
    },
  },
  {
    name: 'promote with no MAS worker seen lately says the change waits for MAS',
    seed: async (world) => {
      await both(world, 'bob');
      await seedWorker(world.mas, { lastSeenAt: FIXED_NOW - 10 * 60_000 });
    },
    args: ['promote', 'bob'],
    code: 0,
    check: async (_world, run) => expect(run.json().warnings.join('\n')).toMatch(/No MAS worker has been seen in the last two minutes.*when MAS runs again/),
  },
  {
    name: 'promote on the oldest MAS we support, 0.13: no deactivated_at, no is_guest',
    world: { variant: '0.13' },
    seed: async (world) => {
      await both(world, 'bob');
      await seedWorker(world.mas);
    },
    args: ['promote', 'bob'],
    code: 0,
    check: async (world) => expect((await masUser(world, 'bob')).can_request_admin).toBe(true),
  },
];

const demoteCases: MasCase[] = [
  {
    name: 'demote takes the permission away and counts the admin sessions left',
    seed: async (world) => {
      await aliceWithSessions(world);
    },
    args: ['demote', 'alice'],
    code: 0,
    check: async (world, run) => {
      expect((await masUser(world, 'alice')).can_request_admin).toBe(false);
      const out = run.json();
      expect(out).toMatchObject({
        changed: true,
        changes: ['alice: may request admin: yes -> no'],
        admin_sessions: { compat: 1, oauth2: 1, personal: 0, total: 2 },
        sessions_ended: 0,
        jobs: [],
      });
      expect(out.warnings.join('\n')).toMatch(/alice still holds 1 compat .*, 1 OAuth 2 session.*`demote alice --logout`/);
      expect(await compatFinished(world)).toMatchObject({ ADMINTOKEN: null, PHONE: null });
      expect(await queuedJobs(world.mas)).toEqual([]);
    },
  },
  {
    name: 'demote --logout ends only the admin sessions and queues sync-devices as MAS deserializes it',
    seed: async (world) => {
      await aliceWithSessions(world);
    },
    args: ['demote', 'alice', '--logout'],
    code: 0,
    check: async (world, run) => {
      const alice = await masUser(world, 'alice');
      const out = run.json();
      expect(out).toMatchObject({ changed: true, admin_sessions: { compat: 1, oauth2: 1, total: 2 }, sessions_ended: 2 });
      expect(out.notes.join('\n')).toMatch(/up to 2 minutes.*no restart is needed/);
      expect(JSON.stringify(out)).not.toMatch(/[Rr]estart Synapse/);
      // The phone's ordinary session and the session ended yesterday stay as they were.
      expect(await compatFinished(world)).toEqual({ ADMINTOKEN: NOW_ISO, PHONE: null, OLD: new Date(FIXED_NOW - DAY / 2).toISOString() });
      const oauth = await world.mas('oauth2_sessions').select('scope_list', 'finished_at');
      for (const s of oauth) {
        expect(s.finished_at === null ? null : new Date(s.finished_at).toISOString()).toBe(s.scope_list.includes('urn:synapse:admin:*') ? NOW_ISO : null);
      }
      const jobs = await world.mas('queue_jobs').select('*');
      expect(jobs).toHaveLength(1);
      const [job] = jobs;
      expect(job).toMatchObject({ queue_name: 'sync-devices', status: 'available', metadata: {}, attempt: 0 });
      // Exactly MAS's SyncDevicesJob: one field, the user's id as a 26-character ULID.
      expect(job.payload).toEqual({ user_id: expect.stringMatching(/^[0-9A-HJKMNP-TV-Z]{26}$/) });
      const { ulidOf } = await import('../../src/mas/ids.js');
      expect(job.payload.user_id).toBe(ulidOf(alice.user_id));
      expect(new Date(job.created_at).getTime()).toBe(FIXED_NOW);
      expect(out.jobs).toEqual([{ queue: 'sync-devices', id: job.queue_job_id }]);
    },
  },
  {
    name: 'demote --logout --dry-run ends nothing and queues nothing',
    seed: async (world) => {
      await aliceWithSessions(world);
    },
    args: ['--dry-run', 'demote', 'alice', '--logout'],
    code: 0,
    check: async (_world, run) => {
      const out = run.json();
      expect(out).toMatchObject({ dry_run: true, changed: true, jobs: [{ queue: 'sync-devices', id: null }] });
      expect(out.changes.join('\n')).toMatch(/ended 1 compat .*1 OAuth 2/);
    },
  },
  {
    name: 'a failing demote --logout leaves every session and writes no job, in one transaction',
    seed: async (world) => {
      await aliceWithSessions(world);
      await breakQueueInserts(world);
    },
    args: ['demote', 'alice', '--logout'],
    code: 1,
    message: /injected failure/,
  },
  {
    name: 'demote --logout of a non-admin with an admin session left over ends it',
    seed: async (world) => {
      const bob = await both(world, 'bob');
      await both(world, 'root', { canRequestAdmin: true });
      await seedWorker(world.mas);
      await seedCompatSession(world.mas, { userId: bob.id, isSynapseAdmin: true, deviceId: 'LEFTOVER' });
    },
    args: ['demote', 'bob', '--logout'],
    code: 0,
    check: async (world, run) => {
      expect(run.json()).toMatchObject({ changed: true, sessions_ended: 1 });
      expect(await compatFinished(world)).toEqual({ LEFTOVER: NOW_ISO });
      expect((await queuedJobs(world.mas)).map((j) => j.queue_name)).toEqual(['sync-devices']);
    },
  },
  {
    name: 'demote of the last usable admin warns as the Synapse side does',
    seed: async (world) => {
      await both(world, 'alice', { canRequestAdmin: true });
      await both(world, 'locked', { canRequestAdmin: true, lockedAt: FIXED_NOW - DAY });
      await seedWorker(world.mas);
    },
    args: ['demote', 'alice'],
    code: 0,
    check: async (_world, run) => expect(run.json().warnings.join('\n')).toMatch(/No usable admin is left in MAS\. Make one with `promote <user>`/),
  },
  {
    name: 'register --exists-ok --no-admin on the last MAS admin is a demotion: the admin sessions left, and no usable admin',
    seed: async (world) => {
      const alice = await both(world, 'alice', { canRequestAdmin: true });
      await seedCompatSession(world.mas, { userId: alice.id, isSynapseAdmin: true, deviceId: 'ADMINTOKEN' });
      await seedWorker(world.mas);
    },
    args: ['register', 'alice', '--exists-ok', '--no-admin'],
    code: 0,
    check: async (world, run) => {
      expect((await masUser(world, 'alice')).can_request_admin).toBe(false);
      expect(run.json()).toMatchObject({ created: false, changed: true, changes: ['alice: may request admin: yes -> no'] });
      expect(run.json().warnings).toEqual([
        'alice still holds 1 compat (token or device) session(s) with is_synapse_admin: they keep admin rights until they end. ' +
          'Run `demote alice --logout` to end them.',
        'No usable admin is left in MAS. Make one with `promote <user>` or `register <user> --admin`.',
      ]);
      expect(await compatFinished(world)).toEqual({ ADMINTOKEN: null });
      expect(await queuedJobs(world.mas)).toEqual([]);
    },
  },
  // Issue 20: a usable user named in policy.data.admin_users is an admin MAS keeps.
  {
    name: "demote of the last can_request_admin user does not warn while a usable user is in policy.data.admin_users",
    world: { adminUsers: ['ops'] },
    seed: async (world) => {
      await both(world, 'alice', { canRequestAdmin: true });
      await both(world, 'ops');
      await seedWorker(world.mas);
    },
    args: ['demote', 'alice'],
    code: 0,
    check: async (_world, run) => expect(run.json().warnings).toEqual([]),
  },
  {
    name: 'demote of the last usable admin warns when the user in policy.data.admin_users is locked',
    world: { adminUsers: ['ops'] },
    seed: async (world) => {
      await both(world, 'alice', { canRequestAdmin: true });
      await both(world, 'ops', { lockedAt: FIXED_NOW - DAY });
      await seedWorker(world.mas);
    },
    args: ['demote', 'alice'],
    code: 0,
    check: async (_world, run) => expect(run.json().warnings.join('\n')).toMatch(/No usable admin is left in MAS/),
  },
  {
    name: 'demote with another usable admin left does not warn',
    seed: async (world) => {
      await twoAdmins(world);
    },
    args: ['demote', 'alice'],
    code: 0,
    check: async (_world, run) => expect(run.json().warnings).toEqual([]),
  },
  {
    name: "demote of a user in MAS's policy.data.admin_users says the policy still lets it ask",
    world: { adminUsers: ['alice'] },
    seed: async (world) => {
      await twoAdmins(world);
    },
    args: ['demote', 'alice'],
    code: 0,
    check: async (world, run) => {
      expect(run.json().warnings.join('\n')).toMatch(new RegExp(`policy\\.data\\.admin_users of MAS's config \\(${world.masConfigYaml}\\).*Remove it there`));
    },
  },
  {
    name: 'demote of a user who may not request admin changes nothing',
    seed: async (world) => {
      await both(world, 'bob');
      await seedWorker(world.mas);
    },
    args: ['demote', 'bob'],
    code: 0,
    unchanged: true,
    check: async (_world, run) => expect(run.json()).toMatchObject({ changed: false, admin_sessions: { total: 0 } }),
  },
  {
    name: 'demote --logout ends a personal access token with the admin scope, MAS 1.5 and later',
    seed: async (world) => {
      const alice = await twoAdmins(world);
      const { newMasId } = await import('../../src/mas/ids.js');
      const id = newMasId(FIXED_NOW - DAY);
      await world.mas('personal_sessions').insert({
        personal_session_id: id,
        owner_user_id: alice.id,
        actor_user_id: alice.id,
        human_name: 'ci',
        scope_list: ['urn:matrix:client:api:*', 'urn:synapse:admin:*'],
        created_at: new Date(FIXED_NOW - DAY),
      });
      await world.mas('personal_access_tokens').insert({
        personal_access_token_id: newMasId(FIXED_NOW - DAY),
        personal_session_id: id,
        access_token_sha256: Buffer.alloc(32, 7),
        created_at: new Date(FIXED_NOW - DAY),
      });
    },
    args: ['demote', 'alice', '--logout'],
    code: 0,
    check: async (world, run) => {
      expect(run.json()).toMatchObject({ admin_sessions: { personal: 1, total: 1 }, sessions_ended: 1 });
      const [s] = await world.mas('personal_sessions').select('revoked_at');
      const [t] = await world.mas('personal_access_tokens').select('revoked_at');
      expect(new Date(s.revoked_at).toISOString()).toBe(NOW_ISO);
      expect(new Date(t.revoked_at).toISOString()).toBe(NOW_ISO);
    },
  },
  {
    name: 'demote --logout on MAS 0.13, which has no personal sessions',
    world: { variant: '0.13' },
    seed: async (world) => {
      await aliceWithSessions(world);
    },
    args: ['demote', 'alice', '--logout'],
    code: 0,
    check: async (world, run) => {
      expect(run.json()).toMatchObject({ admin_sessions: { compat: 1, oauth2: 1, personal: 0 }, sessions_ended: 2 });
      expect((await queuedJobs(world.mas)).map((j) => j.queue_name)).toEqual(['sync-devices']);
    },
  },
];

const unlockCases: MasCase[] = [
  {
    name: 'unlock clears locked_at and queues provision-user as MAS deserializes it',
    seed: async (world) => {
      await both(world, 'bob', { lockedAt: FIXED_NOW - DAY });
      await seedWorker(world.mas);
    },
    args: ['unlock', 'bob'],
    code: 0,
    check: async (world, run) => {
      const bob = await masUser(world, 'bob');
      expect(bob.locked_at).toBeNull();
      const { ulidOf } = await import('../../src/mas/ids.js');
      expect(await queuedJobs(world.mas)).toEqual([
        { queue_name: 'provision-user', status: 'available', payload: { user_id: ulidOf(bob.user_id), set_display_name: null } },
      ]);
      expect(run.json()).toMatchObject({ changed: true, jobs: [{ queue: 'provision-user' }] });
    },
  },
  {
    name: 'unlock of a user that is not locked changes nothing and queues nothing',
    seed: async (world) => {
      await both(world, 'bob');
      await seedWorker(world.mas);
    },
    args: ['unlock', 'bob'],
    code: 0,
    unchanged: true,
    check: async (_world, run) => expect(run.json()).toMatchObject({ changed: false, jobs: [] }),
  },
  {
    name: 'unlock --dry-run',
    seed: async (world) => {
      await both(world, 'bob', { lockedAt: FIXED_NOW - DAY });
      await seedWorker(world.mas);
    },
    args: ['--dry-run', 'unlock', 'bob'],
    code: 0,
    check: async (_world, run) => expect(run.json()).toMatchObject({ changed: true, dry_run: true, jobs: [{ queue: 'provision-user', id: null }] }),
  },
  {
    name: 'unlock of a deactivated, locked user clears the lock and says how to reactivate',
    seed: async (world) => {
      await both(world, 'bob', { lockedAt: FIXED_NOW - DAY, deactivatedAt: FIXED_NOW - DAY });
      await seedWorker(world.mas);
    },
    args: ['unlock', 'bob'],
    code: 0,
    check: async (world, run) => {
      expect((await masUser(world, 'bob')).locked_at).toBeNull();
      expect(run.json().warnings.join('\n')).toMatch(/bob is deactivated in MAS; unlocking does not bring it back\. .*`set-password bob --reactivate`/);
    },
  },
  {
    name: 'unlock with no MAS worker says Synapse learns it when MAS runs again',
    seed: async (world) => {
      await both(world, 'bob', { lockedAt: FIXED_NOW - DAY });
    },
    args: ['unlock', 'bob'],
    code: 0,
    check: async (_world, run) => expect(run.json().warnings.join('\n')).toMatch(/none has ever registered.*reaches Synapse when MAS runs again/),
  },
  {
    // Issue 18: an option the store cannot honour is refused by its rules (was a warning, exit 0).
    name: 'unlock --unshadowban is refused on MAS, nothing unlocked',
    seed: async (world) => {
      await both(world, 'bob', { lockedAt: FIXED_NOW - DAY });
      await seedWorker(world.mas);
    },
    args: ['unlock', 'bob', '--unshadowban'],
    code: 2,
    message: /--unshadowban has no meaning with matrix-authentication-service: MAS has no shadow ban/,
  },
  {
    // --live always means the Admin API or nothing; with MAS the tool never uses it (was ignored, exit 0).
    name: 'promote --live always is refused on MAS, nothing changed',
    seed: async (world) => {
      await both(world, 'bob');
      await seedWorker(world.mas);
    },
    args: ['promote', 'bob', '--live', 'always'],
    code: 2,
    message: /--live always asks for Synapse's Admin API/,
  },
  {
    name: 'unlock of an unknown user',
    seed: (world) => seedWorker(world.mas).then(() => undefined),
    args: ['unlock', 'nobody'],
    code: 5,
    message: /has no user "nobody"/,
  },
  {
    name: 'a failing unlock leaves the lock: the job and the change are one transaction',
    seed: async (world) => {
      await both(world, 'bob', { lockedAt: FIXED_NOW - DAY });
      await seedWorker(world.mas);
      await breakQueueInserts(world);
    },
    args: ['unlock', 'bob'],
    code: 1,
    message: /injected failure/,
  },
  {
    name: 'unlock on MAS 0.13',
    world: { variant: '0.13' },
    seed: async (world) => {
      await both(world, 'bob', { lockedAt: FIXED_NOW - DAY });
      await seedWorker(world.mas);
    },
    args: ['unlock', 'bob'],
    code: 0,
    check: async (world) => expect((await queuedJobs(world.mas)).map((j) => j.queue_name)).toEqual(['provision-user']),
  },
];

const listCases: MasCase[] = [
  {
    name: 'list-admins: the flag and the policy, marked locked, deactivated, guest and without a MAS user',
    world: { adminUsers: ['carol', 'dave'] },
    seed: async (world) => {
      await both(world, 'alice', { canRequestAdmin: true });
      await both(world, 'bob', { canRequestAdmin: true, lockedAt: FIXED_NOW - DAY });
      await both(world, 'carol');
      await both(world, 'erin', { canRequestAdmin: true, deactivatedAt: FIXED_NOW - DAY });
      await seedMasUser(world.mas, { username: 'gus', canRequestAdmin: true, isGuest: true });
      await both(world, 'plain');
    },
    args: ['list-admins'],
    code: 0,
    unchanged: true,
    check: async (world, run) => {
      const { admins } = run.json();
      expect(admins.map((a: { username: string }) => a.username)).toEqual(['alice', 'bob', 'carol', 'dave', 'erin', 'gus']);
      expect(admins).toContainEqual({
        user_id: '@dave:example.test',
        username: 'dave',
        sources: ['policy.data.admin_users'],
        in_mas: false,
        locked: false,
        deactivated: false,
        guest: false,
        // The keys Synapse's listing has too (issue 18: one shape per command); not MAS's things.
        suspended: null,
        shadow_banned: null,
        user_type: null,
      });
      expect(admins.find((a: { username: string }) => a.username === 'bob')).toMatchObject({ locked: true, sources: ['can_request_admin'] });
      expect(admins.find((a: { username: string }) => a.username === 'erin')).toMatchObject({ deactivated: true });
      expect(admins.find((a: { username: string }) => a.username === 'gus')).toMatchObject({ guest: true });
      const human = await world.run(['list-admins']);
      expect(human.stdout).toContain('@dave:example.test  (no MAS user, policy.data.admin_users)');
      expect(human.stdout).toContain('@bob:example.test  (locked)');
    },
  },
  {
    name: 'list-admins with nobody allowed to request admin warns',
    seed: async (world) => {
      await both(world, 'bob');
    },
    args: ['list-admins'],
    code: 0,
    unchanged: true,
    check: async (_world, run) => {
      expect(run.json().admins).toEqual([]);
      expect(run.json().warnings.join('\n')).toMatch(/No user may request admin rights in MAS\. Make one with/);
    },
  },
  {
    name: 'list-admins on MAS 0.13',
    world: { variant: '0.13' },
    seed: async (world) => {
      await both(world, 'alice', { canRequestAdmin: true });
    },
    args: ['list-admins'],
    code: 0,
    unchanged: true,
    check: async (_world, run) => expect(run.json().admins).toMatchObject([{ username: 'alice', deactivated: false, guest: false }]),
  },
];

const checkCases: MasCase[] = [
  {
    name: 'check reports both sides: MAS config, database, schemes with no pepper shown, admins, worker and jobs',
    world: {
      passwords: {
        schemes: [
          { version: 1, algorithm: 'bcrypt', cost: 10, secret: 'a-secret-pepper' },
          { version: 2, algorithm: 'argon2id' },
        ],
      },
    },
    seed: async (world) => {
      await twoAdmins(world);
    },
    args: ['check'],
    code: 0,
    unchanged: true,
    check: async (world, run) => {
      const out = run.json();
      expect(out.mas).toMatchObject({
        config_files: [world.masConfigYaml],
        connected: true,
        usable_admins: 2,
        worker_alive: true,
        jobs: { available: 0, scheduled: 0, running: 0, failed: 0, newest_failure: null },
        passwords: {
          enabled: true,
          minimum_complexity: 3,
          schemes: [
            { version: 1, algorithm: 'bcrypt', cost: 10, pepper: true, unicode_normalization: false },
            { version: 2, algorithm: 'argon2id', pepper: false, unicode_normalization: false },
          ],
        },
      });
      expect(out.mas.newest_migration).toBeGreaterThan(20250000000000);
      expect(JSON.stringify(out)).not.toContain('a-secret-pepper');
      const human = await world.run(['check']);
      expect(human.code).toBe(0);
      expect(human.stdout).toMatch(/MAS passwords: on, minimum complexity 3; v1 bcrypt cost 10 with pepper, v2 argon2id/);
      expect(human.stdout).toMatch(/MAS worker: +running/);
      expect(human.stdout + human.stderr).not.toContain('a-secret-pepper');
      expect(human.stderr).not.toMatch(/mas-cli manage/);
    },
  },
  {
    name: 'check says when no MAS worker runs and which job failed last',
    seed: async (world) => {
      await twoAdmins(world);
      await world.mas('queue_workers').update({ last_seen_at: new Date(FIXED_NOW - 3600_000), shutdown_at: new Date(FIXED_NOW - 3500_000) });
      const { newMasId } = await import('../../src/mas/ids.js');
      const job = (queue: string, status: string, extra: Record<string, unknown> = {}) => ({
        queue_job_id: newMasId(FIXED_NOW - 600_000),
        queue_name: queue,
        payload: JSON.stringify({ user_id: '01ARZ3NDEKTSV4RRFFQ69G5FAV' }),
        created_at: new Date(FIXED_NOW - 600_000),
        status,
        ...extra,
      });
      await world.mas('queue_jobs').insert(job('provision-user', 'available'));
      await world.mas('queue_jobs').insert(
        job('sync-devices', 'failed', { failed_at: new Date(FIXED_NOW - 500_000), failed_reason: 'Homeserver returned 401' }),
      );
    },
    args: ['check'],
    code: 0,
    unchanged: true,
    check: async (_world, run) => {
      const out = run.json();
      expect(out.mas).toMatchObject({
        worker_alive: false,
        jobs: { available: 1, failed: 1, newest_failure: { queue: 'sync-devices', reason: 'Homeserver returned 401' } },
      });
      // The one sentence every command says about a missing worker (issue 18).
      expect(out.warnings.join('\n')).toMatch(/No MAS worker has been seen in the last two minutes/);
      expect(out.warnings.join('\n')).toMatch(/1 MAS job\(s\) failed for good.*Homeserver returned 401/);
    },
  },
  {
    name: "check still reports Synapse's side when MAS's config cannot be read",
    seed: (world) => seedUser(world.synapse, { name: '@alice:example.test', admin: true }),
    args: ['check', '--mas-config', '/nonexistent/mas.yaml'],
    code: 3,
    message: /\/nonexistent\/mas\.yaml/,
    check: async (_world, run) => {
      expect(run.json()).toMatchObject({ ok: false, connected: true, schema_version: 94, users: 1 });
      expect(run.json().mas.config_problem).toMatch(/\/nonexistent\/mas\.yaml/);
    },
  },
  {
    name: 'check with no usable MAS admin fails with the repair',
    seed: async (world) => {
      await both(world, 'alice', { canRequestAdmin: true, lockedAt: FIXED_NOW - DAY });
      await seedWorker(world.mas);
    },
    args: ['check'],
    code: 5,
    message: /No usable admin in MAS.*alice is locked: run `unlock alice`/,
    check: async (_world, run) => expect(run.json()).toMatchObject({ ok: false, mas: { usable_admins: 0 } }),
  },
  {
    name: 'check <users..> says where each user exists and what a one-sided user means',
    seed: async (world) => {
      await twoAdmins(world);
      await seedUser(world.synapse, { name: '@legacy:example.test' });
      await seedMasUser(world.mas, { username: 'fresh' });
    },
    args: ['check', 'alice', '@legacy:example.test', 'fresh', 'nobody'],
    code: 0,
    unchanged: true,
    check: async (_world, run) => {
      const users = run.json().users_checked;
      expect(users).toMatchObject([
        { user_id: '@alice:example.test', in_synapse: true, in_mas: true, meaning: 'in both' },
        { user_id: '@legacy:example.test', in_synapse: true, in_mas: false, meaning: expect.stringMatching(/Username not available on homeserver.*`adopt legacy`/) },
        { user_id: '@fresh:example.test', in_synapse: false, in_mas: true, meaning: expect.stringMatching(/provision-user job has not made the Synapse account/) },
        { user_id: '@nobody:example.test', in_synapse: false, in_mas: false, meaning: 'in neither' },
      ]);
    },
  },
  {
    name: 'check on MAS 0.13',
    world: { variant: '0.13' },
    seed: async (world) => {
      await twoAdmins(world);
    },
    args: ['check', 'alice'],
    code: 0,
    unchanged: true,
    check: async (_world, run) => expect(run.json().mas).toMatchObject({ connected: true, usable_admins: 2 }),
  },
];

const databaseCases: MasCase[] = [
  {
    name: "MAS's database refusing the login is named as MAS's, with MAS's settings to fix, not Synapse's",
    seed: async (world) => {
      await twoAdmins(world);
    },
    args: ['list-admins'],
    code: 0,
    unchanged: true,
    check: async (world) => {
      const url = new URL(world.masDatabaseUrl);
      url.password = 'wrong-password';
      const before = await world.snapshot();
      const run = await world.run(['--json', '--mas-database-url', url.toString(), 'promote', 'bob']);
      expect(run.code).toBe(4);
      const { message } = run.json().error;
      expect(message).toMatch(/PostgreSQL refused the login .*Check the user and password in the database section of MAS's config \(or PGUSER\/PGPASSWORD\)/);
      expect(message).not.toMatch(/Synapse/);
      expect(await world.snapshot()).toEqual(before);
    },
  },
  {
    name: "a MAS database that is missing is named as MAS's, with --mas-database-url",
    seed: async (world) => {
      await twoAdmins(world);
    },
    args: ['list-admins'],
    code: 0,
    unchanged: true,
    check: async (world) => {
      const url = new URL(world.masDatabaseUrl);
      url.pathname = '/no_such_mas_database';
      const run = await world.run(['--json', '--mas-database-url', url.toString(), 'demote', 'alice']);
      expect(run.code).toBe(4);
      expect(run.json().error.message).toMatch(/Check the database name in the database section of MAS's config \(or --mas-database-url\)/);
    },
  },
];

export const adminCases: MasCase[] = [...databaseCases, ...promoteCases, ...demoteCases, ...unlockCases, ...listCases, ...checkCases];
