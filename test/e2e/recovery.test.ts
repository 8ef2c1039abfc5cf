// Issue 4's recovery commands against a real Synapse: accounts locked, suspended and deactivated
// through Synapse's own Admin API are brought back by the tool; minted tokens work at once.
import { existsSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { e2eContext } from './harness/context.js';
import { Homeserver, type HomeserverOptions } from './harness/homeserver.js';
import { adminPost, adminPut, getUser, login, loginToken, searchUserDirectory, whoami } from './harness/http.js';
import { failedJson, okJson, parseJson, runTool, toolOn } from './harness/tool.js';

const ctx = e2eContext();

const setups: HomeserverOptions[] = [
  { name: 'rec-sqlite', engine: 'sqlite' },
  { name: 'rec-pg', engine: 'postgres', pgVia: 'tcp' },
];

// Synapse's own token format: syt_<base64 localpart>_<20 random>_<6 base62 CRC>.
const SYNAPSE_TOKEN = /^syt_[A-Za-z0-9_-]+_[A-Za-z0-9]{20}_[A-Za-z0-9]{6}$/;

describe.each(setups)('recovery on $engine ($name)', (options) => {
  let hs: Homeserver;
  let tool: ReturnType<typeof toolOn>;
  let rootToken: string;

  beforeAll(async () => {
    hs = await Homeserver.create(ctx, options);
    tool = toolOn(hs);
    await hs.start();
    await hs.register('root', 'Root-pw-1', { admin: true });
    for (const name of ['locky', 'susy', 'gone', 'synback', 'plain', 'runlock']) await hs.register(name, `${name}-pw-1`);
    for (const name of ['lockadm', 'deadadm', 'susadm']) await hs.register(name, `${name}-pw-1`, { admin: true });
    rootToken = await loginToken(hs.baseUrl, 'root', 'Root-pw-1');
  });

  afterAll(async () => {
    await hs?.destroy();
  });

  const put = (localpart: string, body: unknown) => adminPut(hs.baseUrl, rootToken, `/_synapse/admin/v2/users/${hs.userId(localpart)}`, body);
  const view = async (localpart: string) => (await getUser(hs.baseUrl, rootToken, hs.userId(localpart))).body as Record<string, unknown>;

  describe('issue-token, while Synapse runs', () => {
    it('mints a token in Synapse\'s format that the Admin API accepts at once', async () => {
      const json = okJson(await tool(['--json', 'issue-token', 'root']));
      expect(json.user_id).toBe(hs.userId('root'));
      expect(json.access_token).toMatch(SYNAPSE_TOKEN);
      const expiresAt = Date.parse(json.expires_at);
      expect(Math.abs(expiresAt - (Date.now() + 3_600_000))).toBeLessThan(120_000);
      const reply = await getUser(hs.baseUrl, json.access_token, hs.userId('plain'));
      expect(reply.status).toBe(200);
    });

    it('logins after minting do not collide with the minted token id, and the token keeps working', async () => {
      const minted = okJson(await tool(['--json', 'issue-token', 'root', '--expires-in', '30m']));
      // A token written in seconds instead of milliseconds would already be expired.
      expect(Math.abs(Date.parse(minted.expires_at) - (Date.now() + 1_800_000))).toBeLessThan(120_000);
      for (let i = 0; i < 4; i++) {
        const reply = await login(hs.baseUrl, i % 2 ? 'root' : 'plain', i % 2 ? 'Root-pw-1' : 'plain-pw-1');
        expect(reply.status, JSON.stringify(reply.body)).toBe(200);
      }
      expect((await whoami(hs.baseUrl, minted.access_token)).body).toMatchObject({ user_id: hs.userId('root') });
      // And a token minted after those logins is still a fresh id.
      const after = okJson(await tool(['--json', 'issue-token', 'root']));
      expect((await whoami(hs.baseUrl, after.access_token)).status).toBe(200);
      expect((await login(hs.baseUrl, 'root', 'Root-pw-1')).status).toBe(200);
    });

    it('prints only the token on stdout without --json', async () => {
      const result = await tool(['issue-token', 'root']);
      expect(result.code).toBe(0);
      const token = result.stdout.trim();
      expect(token).toMatch(SYNAPSE_TOKEN);
      expect(result.stdout).toBe(`${token}\n`);
      expect((await whoami(hs.baseUrl, token)).status).toBe(200);
    });

    it('--expires-in never and --device-id: no expiry, and Synapse sees the device', async () => {
      const json = okJson(await tool(['--json', 'issue-token', 'root', '--expires-in', 'never', '--device-id', 'SABTEST']));
      expect(json.expires_at).toBeNull();
      expect((await whoami(hs.baseUrl, json.access_token)).body).toMatchObject({ user_id: hs.userId('root'), device_id: 'SABTEST' });
    });

    it('a suspended admin gets a working token (Synapse refuses only locked users\' tokens)', async () => {
      const suspend = await adminPut(hs.baseUrl, rootToken, `/_synapse/admin/v1/suspend/${hs.userId('susadm')}`, { suspend: true });
      expect(suspend.status).toBe(200);
      const json = okJson(await tool(['--json', 'issue-token', 'susadm']));
      expect((await getUser(hs.baseUrl, json.access_token, hs.userId('plain'))).status).toBe(200);
    });

    it('warns for a user who is not an admin; the token works but the Admin API refuses it', async () => {
      const result = await tool(['--json', 'issue-token', 'plain']);
      const json = okJson(result);
      expect(result.stderr).toMatch(/admin/i);
      expect((await whoami(hs.baseUrl, json.access_token)).status).toBe(200);
      expect((await getUser(hs.baseUrl, json.access_token, hs.userId('root'))).status).toBe(403);
    });
  });

  describe('unlock', () => {
    it('brings back a user locked and one suspended through the Admin API (Synapse stopped)', async () => {
      expect((await put('locky', { locked: true })).status).toBe(200);
      const suspend = await adminPut(hs.baseUrl, rootToken, `/_synapse/admin/v1/suspend/${hs.userId('susy')}`, { suspend: true });
      expect(suspend.status).toBe(200);
      expect((await login(hs.baseUrl, 'locky', 'locky-pw-1')).body.errcode).toBe('M_USER_LOCKED');
      await hs.stop();

      expect(okJson(await tool(['--json', 'unlock', 'locky']))).toMatchObject({ changed: true, user_id: hs.userId('locky') });
      expect(okJson(await tool(['--json', 'unlock', 'susy']))).toMatchObject({ changed: true });
      expect(okJson(await tool(['--json', 'unlock', 'plain']))).toMatchObject({ changed: false });

      await hs.start();
      expect((await login(hs.baseUrl, 'locky', 'locky-pw-1')).status).toBe(200);
      expect(await view('locky')).toMatchObject({ locked: false, suspended: false });
      expect(await view('susy')).toMatchObject({ locked: false, suspended: false });
    });

    it('while Synapse runs it says a restart is needed; after it the user logs in', async () => {
      expect((await put('runlock', { locked: true })).status).toBe(200);
      const json = okJson(await tool(['--json', 'unlock', 'runlock', '--live', 'never']));
      expect(json).toMatchObject({ changed: true, synapse_running: true, restart_needed: true });
      await hs.restart();
      expect((await login(hs.baseUrl, 'runlock', 'runlock-pw-1')).status).toBe(200);
    });
  });

  describe('set-password on a deactivated user', () => {
    it('refuses without --reactivate (exit 7, with the hint)', async () => {
      // Both erased; synback is brought back by Synapse itself, as the yardstick.
      for (const name of ['gone', 'synback']) {
        const reply = await adminPost(hs.baseUrl, rootToken, `/_synapse/admin/v1/deactivate/${hs.userId(name)}`, { erase: true });
        expect(reply.status).toBe(200);
        expect(await view(name)).toMatchObject({ deactivated: true, erased: true, displayname: null });
      }
      const back = await put('synback', { deactivated: false, password: 'synback-pw-2' });
      expect(back.status, JSON.stringify(back.body)).toBe(200);
      await hs.stop();

      const error = failedJson(await tool(['--json', 'set-password', 'gone', '--password-stdin'], { input: 'gone-pw-2' }), 7);
      expect(error.message).toMatch(/--reactivate/);
    });

    it("--reactivate brings it back exactly as Synapse's own reactivation does", async () => {
      await hs.stop();
      expect(okJson(await tool(['--json', 'set-password', 'gone', '--reactivate', '--password-stdin'], { input: 'gone-pw-2' })))
        .toMatchObject({ changed: true, user_id: hs.userId('gone') });
      await hs.start();

      expect((await login(hs.baseUrl, 'gone', 'gone-pw-2')).status).toBe(200);
      expect((await login(hs.baseUrl, 'synback', 'synback-pw-2')).status).toBe(200);
      const ours = await view('gone');
      expect(ours).toMatchObject({ deactivated: false, erased: false, locked: false });
      const { name: _a, creation_ts: _b, last_seen_ts: _c, ...oursRest } = ours;
      const { name: _d, creation_ts: _e, last_seen_ts: _f, ...theirsRest } = await view('synback');
      expect(oursRest).toEqual(theirsRest);

      // Synapse recreates an erased profile blank and puts the user back in the directory.
      const rows = await hs.withDb((db) =>
        db('profiles').whereIn('user_id', ['gone', 'synback']).select('user_id', 'displayname').orderBy('user_id'),
      );
      expect(rows).toEqual([{ user_id: 'gone', displayname: null }, { user_id: 'synback', displayname: null }]);
      const found = await searchUserDirectory(hs.baseUrl, rootToken, 'synback');
      expect(found.body.results.map((u: { user_id: string }) => u.user_id)).toContain(hs.userId('synback'));
      const foundOurs = await searchUserDirectory(hs.baseUrl, rootToken, 'gone');
      expect(foundOurs.body.results.map((u: { user_id: string }) => u.user_id)).toContain(hs.userId('gone'));
    });
  });

  it('list-admins marks admins that Synapse locked or deactivated', async () => {
    expect((await put('lockadm', { locked: true })).status).toBe(200);
    const reply = await adminPost(hs.baseUrl, rootToken, `/_synapse/admin/v1/deactivate/${hs.userId('deadadm')}`, {});
    expect(reply.status).toBe(200);
    const admins = okJson(await tool(['--json', 'list-admins'])).admins as { user_id: string }[];
    const byId = new Map(admins.map((a) => [a.user_id, a]));
    expect([...byId.keys()].sort()).toEqual(['deadadm', 'lockadm', 'root', 'susadm'].map((l) => hs.userId(l)));
    expect(byId.get(hs.userId('susadm'))).toMatchObject({ suspended: true, locked: false });
    expect(byId.get(hs.userId('root'))).toMatchObject({ deactivated: false, locked: false });
    expect(byId.get(hs.userId('lockadm'))).toMatchObject({ deactivated: false, locked: true });
    expect(byId.get(hs.userId('deadadm'))).toMatchObject({ deactivated: true, locked: false });
    // And the tool will not hand either of them a token.
    failedJson(await tool(['--json', 'issue-token', 'lockadm']), 7);
    failedJson(await tool(['--json', 'issue-token', 'deadadm']), 7);
  });

  describe('check', () => {
    it('reports a running Synapse, its schema, engine and admin count', async () => {
      const json = okJson(await tool(['--json', 'check']));
      const admins = okJson(await tool(['--json', 'list-admins'])).admins as unknown[];
      expect(json).toMatchObject({
        synapse_running: true,
        schema_version: 94,
        engine: options.engine,
        admins: admins.length,
      });
      expect(admins.length).toBe(4);
      // root, and susadm: suspended, but the Admin API still takes its token.
      expect(json.usable_admins).toBe(2);
    });

    it('reports a stopped Synapse as not running, and still exits 0', async () => {
      await hs.stop();
      expect(okJson(await tool(['--json', 'check']))).toMatchObject({ synapse_running: false, schema_version: 94 });
    });

    it('a database it cannot reach is exit 4, and the database password is never printed', async () => {
      const secret = 'Wr0ng-S3cret-pw';
      const url =
        options.engine === 'postgres'
          ? `postgres://${ctx.pg.user}:${secret}@127.0.0.1:${ctx.pg.port}/${hs.dbName}`
          : path.join(hs.dir, 'missing', 'homeserver.db');
      const result = await tool(['--json', '--database-url', url, 'check']);
      expect(result.code).not.toBe(0);
      expect(parseJson(result).ok).toBe(false);
      if (options.engine === 'postgres') expect(result.code).toBe(4);
      else expect(existsSync(url)).toBe(false);
      expect(result.stdout + result.stderr).not.toContain(secret);
    });
  });
});

describe.each<HomeserverOptions['engine']>(['sqlite', 'postgres'])('password login off, on %s', (engine) => {
  let hs: Homeserver;
  beforeAll(async () => {
    hs = await Homeserver.create(ctx, { name: `sso-${engine}`, engine, extra: { password_config: { enabled: false } } });
  });
  afterAll(async () => {
    await hs?.destroy();
  });

  it('issue-token gives Admin API access where no password can log in', async () => {
    // Synapse must have made its schema before the tool can write to it.
    await hs.start();
    await hs.stop();
    const tool = toolOn(hs);
    const registered = await tool(['--json', 'register', 'ssoadmin', '--admin', '--random-password']);
    const password = okJson(registered).password as string;
    expect(registered.stderr).toMatch(/password login is off/i);
    await hs.start();
    expect((await login(hs.baseUrl, 'ssoadmin', password)).status).not.toBe(200);

    const token = okJson(await tool(['--json', 'issue-token', 'ssoadmin'])).access_token as string;
    expect((await getUser(hs.baseUrl, token, hs.userId('ssoadmin'))).status).toBe(200);
    expect(okJson(await tool(['--json', 'check']))).toMatchObject({ password_login: false, synapse_running: true });
  });
});

it('a config that names a missing SQLite file is refused and no file is created', async () => {
  const hs = await Homeserver.create(ctx, { name: 'no-db', engine: 'sqlite' });
  const result = await runTool(['--json', '-c', hs.configPath, 'check']);
  expect(result.code).not.toBe(0);
  expect(parseJson(result).ok).toBe(false);
  expect(existsSync(hs.sqlitePath)).toBe(false);
});
