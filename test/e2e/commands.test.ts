// Issue 2's commands against a real Synapse: the tool writes while Synapse is stopped, then
// Synapse itself (login, Admin API, user directory) has to agree with every change.
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { e2eContext } from './harness/context.js';
import type { RunResult } from './harness/exec.js';
import { Homeserver, type HomeserverOptions } from './harness/homeserver.js';
import { adminGet, adminPut, getUser, login, loginToken, searchUserDirectory, whoami } from './harness/http.js';
import { failedJson, okJson, runTool, toolOn } from './harness/tool.js';

const ctx = e2eContext();

const setups: HomeserverOptions[] = [
  { name: 'cmd-sqlite', engine: 'sqlite' },
  { name: 'cmd-pg', engine: 'postgres', pgVia: 'tcp' },
];

// Accents, a sharp s and a hyphen: each engine's directory search tokenises these its own way.
const ZOE = 'Zoë Müller-Straße';

// Fields of the Admin API's user object that legitimately differ between two ordinary users.
const PER_USER_FIELDS = ['name', 'displayname', 'creation_ts', 'last_seen_ts'];

function withoutPerUserFields(user: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(user).filter(([key]) => !PER_USER_FIELDS.includes(key)));
}

describe.each(setups)('commands on $engine ($name)', (options) => {
  let hs: Homeserver;
  let tool: ReturnType<typeof toolOn>;
  let rootToken: string;
  let daveOldToken: string;
  const r: Record<string, RunResult> = {};
  let toolRanAt: number;

  beforeAll(async () => {
    hs = await Homeserver.create(ctx, options);
    tool = toolOn(hs);
    await hs.start();
    // Users Synapse made itself: the observer, targets, and untouched references.
    await hs.register('root', 'Root-pw-1', { admin: true });
    await hs.register('bob', 'Bob-pw-1');
    await hs.register('exadmin', 'Exadmin-pw-1', { admin: true });
    await hs.register('carol', 'Carol-pw-1');
    await hs.register('dave', 'Dave-pw-1');
    await hs.register('erin', 'Erin-pw-1');
    await hs.register('synzoe', 'Synzoe-pw-1');
    const zoeToken = await loginToken(hs.baseUrl, 'synzoe', 'Synzoe-pw-1');
    const renamed = await adminPut(hs.baseUrl, zoeToken, `/_matrix/client/v3/profile/${hs.userId('synzoe')}/displayname`, { displayname: ZOE });
    expect(renamed.status).toBe(200);
    daveOldToken = await loginToken(hs.baseUrl, 'dave', 'Dave-pw-1');
    await hs.stop();

    const passwordFile = path.join(hs.dir, 'tooluser.password');
    writeFileSync(passwordFile, '  User-pw-1  \n');
    toolRanAt = Date.now();
    r.registerAdmin = await tool(['--json', 'register', 'tooladmin', '--admin', '--password-stdin'], { input: 'Admin-pw-1\n' });
    r.registerUser = await tool(['--json', 'register', 'tooluser', '--no-admin', '--password-file', passwordFile]);
    r.registerBot = await tool(['--json', 'register', 'toolbot', '--no-admin', '--user-type', 'bot', '--random-password']);
    r.registerNamed = await tool(['--json', 'register', `@toolnamed:${hs.serverName}`, '--no-admin', '--displayname', 'Tool Named', '--password', 'Named-pw-1']);
    r.registerZoe = await tool(['--json', 'register', 'toolzoe', '--no-admin', '--displayname', ZOE, '--password', 'Toolzoe-pw-1']);
    r.registerExistsOk = await tool(['--json', 'register', 'tooluser', '--exists-ok', '--no-admin', '--password', 'Other-pw-1']);
    r.promote = await tool(['--json', 'promote', 'bob']);
    r.promoteAgain = await tool(['--json', 'promote', `@BOB:${hs.serverName}`]);
    r.demote = await tool(['--json', 'demote', 'exadmin']);
    r.setPassword = await tool(['--json', 'set-password', 'carol', '--password-stdin'], { input: 'Carol-pw-2\n' });
    r.setPasswordLogout = await tool(['--json', 'set-password', 'dave', '--logout', '--password-stdin'], { input: 'Dave-pw-2' });
    r.dryRun = await tool(['--json', '--dry-run', 'promote', 'erin']);
    r.dryRunRegister = await tool(['--json', '--dry-run', 'register', 'ghost', '--admin', '--password', 'Ghost-pw-1']);
    r.listAdmins = await tool(['--json', 'list-admins']);
    r.registerExisting = await tool(['--json', 'register', 'carol', '--no-admin', '--password', 'X-pw-12345']);
    r.foreign = await tool(['--json', 'promote', '@bob:elsewhere.test']);
    r.unknown = await tool(['--json', 'promote', 'nobody']);
    const url =
      options.engine === 'sqlite'
        ? hs.sqlitePath
        : `postgres://${ctx.pg.user}:${ctx.pg.password}@127.0.0.1:${ctx.pg.port}/${hs.dbName}`;
    r.listAdminsByUrl = await tool(['--json', '--database-url', url, 'list-admins']);
    r.listAdminsByEnv = await runTool(['--json', 'list-admins'], { env: { SYNAPSE_CONFIG_PATH: hs.configPath } });

    await hs.start();
    rootToken = await loginToken(hs.baseUrl, 'root', 'Root-pw-1');
  });

  afterAll(async () => {
    await hs?.destroy();
  });

  const statusAs = async (localpart: string, password: string, target = 'root') => {
    const token = await loginToken(hs.baseUrl, localpart, password);
    return (await getUser(hs.baseUrl, token, hs.userId(target))).status;
  };
  const adminView = async (localpart: string) => {
    const reply = await getUser(hs.baseUrl, rootToken, hs.userId(localpart));
    expect(reply.status).toBe(200);
    return reply.body as Record<string, unknown>;
  };

  it('every command reports success as one JSON object with the user and whether it changed', () => {
    for (const key of ['registerAdmin', 'registerUser', 'registerBot', 'registerNamed', 'promote', 'demote', 'setPassword', 'setPasswordLogout']) {
      const json = okJson(r[key]!);
      expect(json.changed, key).toBe(true);
      expect(json.user_id, key).toMatch(new RegExp(`^@[a-z]+:${hs.serverName.replace('.', '\\.')}$`));
    }
    expect(okJson(r.promoteAgain!)).toMatchObject({ changed: false, user_id: hs.userId('bob') });
    expect(okJson(r.registerExistsOk!)).toMatchObject({ changed: false, user_id: hs.userId('tooluser') });
  });

  it('register makes an admin who logs in and is an admin to Synapse', async () => {
    expect(await statusAs('tooladmin', 'Admin-pw-1')).toBe(200);
  });

  it('register --no-admin makes a user who logs in (file password stripped) and is refused the Admin API', async () => {
    expect(await statusAs('tooluser', 'User-pw-1')).toBe(403);
    // --exists-ok left the password alone.
    expect((await login(hs.baseUrl, 'tooluser', 'Other-pw-1')).status).toBe(403);
  });

  it('register --random-password prints the password once, and it logs in', async () => {
    const json = okJson(r.registerBot!);
    expect(typeof json.password).toBe('string');
    expect(json.password.length).toBeGreaterThanOrEqual(16);
    expect((await login(hs.baseUrl, 'toolbot', json.password)).status).toBe(200);
  });

  it("a registered user looks to Synapse exactly like one of its own registrations", async () => {
    const own = await adminView('erin');
    const made = await adminView('tooluser');
    expect(withoutPerUserFields(made)).toEqual(withoutPerUserFields(own));
    expect(made.displayname).toBe('tooluser');
    // Same unit as Synapse's own (seconds): a millisecond value would be ~1000 times larger.
    const ratio = (made.creation_ts as number) / (own.creation_ts as number);
    expect(ratio).toBeGreaterThan(0.999);
    expect(ratio).toBeLessThan(1.001);
    expect((made.creation_ts as number) * 1000).toBeGreaterThanOrEqual(toolRanAt - 5_000);
  });

  it('--displayname and --user-type land where Synapse reads them', async () => {
    expect((await adminView('toolnamed')).displayname).toBe('Tool Named');
    expect(await adminView('toolbot')).toMatchObject({ user_type: 'bot', displayname: 'toolbot', admin: false });
    expect(await adminView('tooladmin')).toMatchObject({ user_type: null, admin: true });
  });

  it("Synapse's user list shows the new users, approved, like its own", async () => {
    const reply = await adminGet(hs.baseUrl, rootToken, '/_synapse/admin/v2/users?limit=100&guests=false');
    expect(reply.status).toBe(200);
    const byName = new Map<string, Record<string, unknown>>(reply.body.users.map((u: { name: string }) => [u.name, u]));
    for (const localpart of ['tooladmin', 'tooluser', 'toolbot', 'toolnamed']) {
      const entry = byName.get(hs.userId(localpart));
      expect(entry, localpart).toBeDefined();
      expect(withoutPerUserFields(entry!), localpart).toEqual({
        ...withoutPerUserFields(byName.get(hs.userId('erin'))!),
        admin: localpart === 'tooladmin',
        user_type: localpart === 'toolbot' ? 'bot' : null,
      });
    }
    expect(byName.has(hs.userId('ghost'))).toBe(false);
  });

  it("Synapse's user directory finds them by localpart and by display name, like its own", async () => {
    const ids = async (term: string) => {
      const reply = await searchUserDirectory(hs.baseUrl, rootToken, term);
      expect(reply.status).toBe(200);
      return reply.body.results.map((u: { user_id: string }) => u.user_id);
    };
    expect(await ids('erin')).toContain(hs.userId('erin'));
    expect(await ids('tooluser')).toContain(hs.userId('tooluser'));
    expect(await ids('toolbot')).toContain(hs.userId('toolbot'));
    expect(await ids('Named')).toContain(hs.userId('toolnamed'));
  });

  it('a display name with accents is found by the same searches as when Synapse sets it', async () => {
    okJson(r.registerZoe!);
    for (const term of ['müller', 'zoë', 'Zo', 'straße', 'Müller-Straße', 'Muller']) {
      const reply = await searchUserDirectory(hs.baseUrl, rootToken, term);
      const found = reply.body.results.map((u: { user_id: string; display_name: string }) => `${u.user_id.split(':')[0]}=${u.display_name}`);
      const theirs = found.includes(`@synzoe=${ZOE}`);
      expect(found.includes(`@toolzoe=${ZOE}`), `search "${term}": ${found.join(', ')}`).toBe(theirs);
    }
    expect((await searchUserDirectory(hs.baseUrl, rootToken, 'müller')).body.results).toHaveLength(2);
  });

  it('promote makes a Synapse-made user an admin; a second promote (any case of the ID) changes nothing', async () => {
    expect(await statusAs('bob', 'Bob-pw-1')).toBe(200);
  });

  it('demote takes admin away', async () => {
    expect(await statusAs('exadmin', 'Exadmin-pw-1')).toBe(403);
    expect(await adminView('exadmin')).toMatchObject({ admin: false });
  });

  it('set-password: the new password logs in, the old one does not', async () => {
    expect((await login(hs.baseUrl, 'carol', 'Carol-pw-2')).status).toBe(200);
    expect((await login(hs.baseUrl, 'carol', 'Carol-pw-1')).status).toBe(403);
  });

  it('set-password --logout: the old access token is dead, the new password logs in', async () => {
    expect((await whoami(hs.baseUrl, daveOldToken)).status).toBe(401);
    expect((await login(hs.baseUrl, 'dave', 'Dave-pw-2')).status).toBe(200);
  });

  it('--dry-run reports the change and writes nothing', async () => {
    expect(okJson(r.dryRun!)).toMatchObject({ changed: true, user_id: hs.userId('erin') });
    expect(await statusAs('erin', 'Erin-pw-1')).toBe(403);
    okJson(r.dryRunRegister!);
    expect((await login(hs.baseUrl, 'ghost', 'Ghost-pw-1')).status).toBe(403);
  });

  it('list-admins lists exactly the admins Synapse has, unmarked', async () => {
    const admins = okJson(r.listAdmins!).admins as { user_id: string; deactivated: boolean; locked: boolean }[];
    const expected = ['root', 'bob', 'tooladmin'].map((l) => hs.userId(l)).sort();
    expect(admins.map((a) => a.user_id).sort()).toEqual(expected);
    for (const admin of admins) expect(admin).toMatchObject({ deactivated: false, locked: false });
    for (const id of expected) expect((await getUser(hs.baseUrl, rootToken, id)).body.admin).toBe(true);
  });

  it('--database-url and $SYNAPSE_CONFIG_PATH reach the same database as -c', () => {
    expect(okJson(r.listAdminsByUrl!).admins).toEqual(okJson(r.listAdmins!).admins);
    expect(okJson(r.listAdminsByEnv!).admins).toEqual(okJson(r.listAdmins!).admins);
  });

  it('refuses with the documented exit codes: existing user 6, foreign server 2, unknown user 5', () => {
    failedJson(r.registerExisting!, 6);
    failedJson(r.foreign!, 2);
    failedJson(r.unknown!, 5);
  });

  describe('while Synapse runs', () => {
    it('promote says a restart is needed, and after the restart it holds', async () => {
      const erinToken = await loginToken(hs.baseUrl, 'erin', 'Erin-pw-1');
      // Synapse now has erin's admin flag (false) cached.
      expect((await getUser(hs.baseUrl, erinToken, hs.userId('root'))).status).toBe(403);

      const json = okJson(await tool(['--json', 'promote', 'erin', '--live', 'never']));
      expect(json).toMatchObject({ changed: true, synapse_running: true, restart_needed: true });
      const human = await tool(['promote', 'toolnamed', '--live', 'never']);
      expect(human.code).toBe(0);
      expect(human.stdout + human.stderr).toMatch(/restart/i);

      await hs.restart();
      // The token outlives the restart; the cached flag does not.
      expect((await getUser(hs.baseUrl, erinToken, hs.userId('root'))).status).toBe(200);
      expect(await statusAs('toolnamed', 'Named-pw-1')).toBe(200);
    });

    it('register: the new admin logs in and uses the Admin API at once; other lookups need a restart, and it says so', async () => {
      const observer = await loginToken(hs.baseUrl, 'root', 'Root-pw-1');
      // A failed login and a lookup first, so Synapse's "no such user" cache is filled.
      expect((await login(hs.baseUrl, 'liveadmin', 'Live-pw-1')).status).toBe(403);
      expect((await getUser(hs.baseUrl, observer, hs.userId('liveadmin'))).status).toBe(404);
      const run = await tool(['--json', 'register', 'liveadmin', '--admin', '--password-stdin'], { input: 'Live-pw-1' });
      expect(okJson(run)).toMatchObject({ created: true, synapse_running: true, restart_needed: true });
      expect(run.stderr).toMatch(/may answer 404.*Restart Synapse/);
      expect(await statusAs('liveadmin', 'Live-pw-1')).toBe(200);
      await hs.restart();
      expect((await getUser(hs.baseUrl, observer, hs.userId('liveadmin'))).status).toBe(200);
    });

    it('set-password --logout says a restart is needed; after it the used token is dead', async () => {
      const token = await loginToken(hs.baseUrl, 'carol', 'Carol-pw-2');
      // Used once, so Synapse has it cached.
      expect((await whoami(hs.baseUrl, token)).status).toBe(200);
      const json = okJson(await tool(['--json', 'set-password', 'carol', '--logout', '--password-stdin', '--live', 'never'], { input: 'Carol-pw-3' }));
      expect(json).toMatchObject({ changed: true, synapse_running: true, restart_needed: true });
      expect((await login(hs.baseUrl, 'carol', 'Carol-pw-3')).status).toBe(200);
      await hs.restart();
      expect((await whoami(hs.baseUrl, token)).status).toBe(401);
      expect((await login(hs.baseUrl, 'carol', 'Carol-pw-2')).status).toBe(403);
    });

    it('demote says so too, and after the restart the admin is gone', async () => {
      const json = okJson(await tool(['--json', 'demote', 'erin', '--live', 'never']));
      expect(json).toMatchObject({ changed: true, synapse_running: true, restart_needed: true });
      await hs.restart();
      expect(await statusAs('erin', 'Erin-pw-1')).toBe(403);
    });
  });
});

it('with no config anywhere it says what it looked for and exits 3', async () => {
  const error = failedJson(await runTool(['--json', 'list-admins']), 3);
  expect(error.message).toMatch(/homeserver\.yaml/);
});
