// Issue 19: --live on a running Synapse. Each change is made by Synapse itself through its Admin
// API, with tokens the tool writes into the database: a token the target held before and a new
// login see it on the very next request, with no restart. Then: no usable admin (a helper), no
// minted token still accepted, the rows left behind, --live never / always.
import { writeFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hashPassword } from '../../src/synapse/password.js';
import { e2eContext } from './harness/context.js';
import { Homeserver, type Engine } from './harness/homeserver.js';
import { adminPost, adminPut, getUser, login, loginToken, whoami } from './harness/http.js';
import { readSchema } from './harness/introspect.js';
import { waitFor } from './harness/net.js';
import { failedJson, okJson, parseJson, toolOn } from './harness/tool.js';

const ctx = e2eContext();
const PW = 'Old-pw-1-long';

for (const engine of ['sqlite', 'postgres'] as Engine[]) {
  describe(`--live on a running Synapse (${engine})`, { timeout: 300_000 }, () => {
    let hs: Homeserver;
    let tool: ReturnType<typeof toolOn>;
    let rootToken: string;
    const url = () => hs.baseUrl;
    const id = (l: string) => hs.userId(l);

    beforeAll(async () => {
      hs = await Homeserver.create(ctx, { name: `live-api-${engine}`, engine, bcryptRounds: 4 });
      await hs.start();
      tool = toolOn(hs);
      await hs.register('root', PW, { admin: true });
      for (const u of ['bob', 'carol', 'dan', 'erin', 'frank', 'gina', 'hank', 'kim']) await hs.register(u, PW);
      rootToken = await loginToken(url(), 'root', PW);
    }, 600_000);

    afterAll(async () => {
      await hs?.destroy();
    });

    /** The tokens the tool wrote all have an expiry; Synapse's own logins here have none. */
    const mintedTokensLeft = () => hs.withDb(async (db) => Number((await db('access_tokens').whereNotNull('valid_until_ms').count({ n: '*' }))[0]!.n));

    it('promote: the old token and a new login are admins at once', async () => {
      const old = await loginToken(url(), 'bob', PW);
      expect((await getUser(url(), old, id('bob'))).status).toBe(403); // now cached as "not an admin"
      const dry = okJson(await tool(['--json', '--dry-run', 'promote', 'bob']));
      expect(dry).toMatchObject({ applied_via: 'admin-api', dry_run: true, changed: true });
      expect(dry.changes.join('\n')).toContain(`PUT /_synapse/admin/v1/users/${encodeURIComponent(id('bob'))}/admin {"admin":true}`);
      expect(await hs.withDb(async (db) => (await db('users').where({ name: id('bob') }).first()).admin)).toBe(0);
      expect(await mintedTokensLeft()).toBe(0);

      const json = okJson(await tool(['--json', 'promote', 'bob']));
      expect(json).toMatchObject({ applied_via: 'admin-api', changed: true, changes: [`${id('bob')}: admin 0 -> 1`] });
      expect(json.notes.join('\n')).toContain(`Acting as admin ${id('root')}`);
      expect((await getUser(url(), old, id('bob'))).status).toBe(200);
      expect((await getUser(url(), await loginToken(url(), 'bob', PW), id('bob'))).body.admin).toBe(true);
      expect(await mintedTokensLeft()).toBe(0);
    });

    it('demote: the old token and a new login lose admin at once', async () => {
      const old = await loginToken(url(), 'bob', PW);
      expect((await getUser(url(), old, id('bob'))).status).toBe(200);
      const run = await tool(['demote', 'bob']);
      expect(run.code).toBe(0);
      expect(run.stdout).toMatch(/no longer a server admin\.\nApplied through Synapse's Admin API/);
      expect((await getUser(url(), old, id('bob'))).status).toBe(403);
      expect((await getUser(url(), await loginToken(url(), 'bob', PW), id('bob'))).status).toBe(403);
    });

    it('two runs at once: each with its own token, both applied, no token left', async () => {
      const [c, d] = await Promise.all([tool(['--json', 'promote', 'carol']), tool(['--json', 'promote', 'dan'])]);
      expect(okJson(c)).toMatchObject({ applied_via: 'admin-api', changed: true });
      expect(okJson(d)).toMatchObject({ applied_via: 'admin-api', changed: true });
      expect((await getUser(url(), await loginToken(url(), 'dan', PW), id('carol'))).status).toBe(200);
      // Each may act as the admin the other one demotes: a 403 half-way hands over to a helper.
      const [c2, d2] = await Promise.all([tool(['--json', 'demote', 'carol']), tool(['--json', 'demote', 'dan'])]);
      expect([okJson(c2).changed, okJson(d2).changed]).toEqual([true, true]);
      expect((await getUser(url(), await loginToken(url(), 'dan', PW), id('carol'))).status).toBe(403);
      expect(await mintedTokensLeft()).toBe(0);
    });

    it('unlock (locked): the old token works at once, and a new login', async () => {
      const old = await loginToken(url(), 'carol', PW);
      expect((await adminPut(url(), rootToken, `/_synapse/admin/v2/users/${encodeURIComponent(id('carol'))}`, { locked: true })).status).toBe(200);
      expect((await whoami(url(), old)).body.errcode).toBe('M_USER_LOCKED');
      expect(okJson(await tool(['--json', 'unlock', 'carol']))).toMatchObject({ applied_via: 'admin-api', changes: [`${id('carol')}: locked true -> false`] });
      expect((await whoami(url(), old)).status).toBe(200);
      expect((await login(url(), 'carol', PW)).status).toBe(200);
    });

    it('unlock (suspended): the old token may change its profile at once', async () => {
      const old = await loginToken(url(), 'dan', PW);
      expect((await adminPut(url(), rootToken, `/_synapse/admin/v1/suspend/${encodeURIComponent(id('dan'))}`, { suspend: true })).status).toBe(200);
      const rename = (name: string) => adminPut(url(), old, `/_matrix/client/v3/profile/${encodeURIComponent(id('dan'))}/displayname`, { displayname: name });
      expect((await rename('Dan 1')).body.errcode).toBe('M_USER_SUSPENDED');
      expect(okJson(await tool(['--json', 'unlock', 'dan']))).toMatchObject({ applied_via: 'admin-api', changes: [`${id('dan')}: suspended true -> false`] });
      expect((await rename('Dan 2')).status).toBe(200);
    });

    it('set-password --reactivate: the user logs in with the new password at once', async () => {
      expect((await adminPost(url(), rootToken, `/_synapse/admin/v1/deactivate/${encodeURIComponent(id('erin'))}`, { erase: false })).status).toBe(200);
      // As in the facts: a hash at database level, so that a login reaches (and caches) the deactivated check.
      const hash = await hashPassword(PW, { pepper: '', bcryptRounds: 4 });
      await hs.withDb((db) => db('users').where({ name: id('erin') }).update({ password_hash: hash }));
      expect((await login(url(), 'erin', PW)).body.errcode).toBe('M_USER_DEACTIVATED');
      const json = okJson(await tool(['--json', 'set-password', 'erin', '--reactivate', '--password-stdin'], { input: 'New-pw-2-long' }));
      expect(json).toMatchObject({ applied_via: 'admin-api', reactivated: true });
      expect((await login(url(), 'erin', 'New-pw-2-long')).status).toBe(200);
    });

    it('set-password --logout: both old tokens are refused at once; the new password logs in', async () => {
      const t1 = await loginToken(url(), 'frank', PW);
      const t2 = await loginToken(url(), 'frank', PW);
      expect((await whoami(url(), t1)).status).toBe(200);
      // Registration logged frank in too: three sessions.
      const before = await hs.withDb(async (db) => Number((await db('access_tokens').where({ user_id: id('frank') }).count({ n: '*' }))[0]!.n));
      expect(before).toBe(3);
      const json = okJson(await tool(['--json', 'set-password', 'frank', '--logout', '--password-stdin'], { input: 'New-pw-3-long' }));
      expect(json).toMatchObject({ applied_via: 'admin-api', tokens_removed: 3 });
      expect(await hs.withDb(async (db) => Number((await db('access_tokens').where({ user_id: id('frank') }).count({ n: '*' }))[0]!.n))).toBe(0);
      expect((await whoami(url(), t1)).status).toBe(401);
      expect((await whoami(url(), t2)).status).toBe(401);
      expect((await login(url(), 'frank', PW)).status).toBe(403);
      expect((await login(url(), 'frank', 'New-pw-3-long')).status).toBe(200);
      expect(await mintedTokensLeft()).toBe(0);
    });

    it('set-password --logout of a locked user: its tokens are refused at once, and it stays locked', async () => {
      const old = await loginToken(url(), 'kim', PW);
      expect((await adminPut(url(), rootToken, `/_synapse/admin/v2/users/${encodeURIComponent(id('kim'))}`, { locked: true })).status).toBe(200);
      expect((await whoami(url(), old)).body.errcode).toBe('M_USER_LOCKED');
      const json = okJson(await tool(['--json', 'set-password', 'kim', '--logout', '--password-stdin'], { input: 'New-pw-4-long' }));
      expect(json).toMatchObject({ applied_via: 'admin-api', tokens_removed: 2 });
      expect((await whoami(url(), old)).body.errcode).toBe('M_UNKNOWN_TOKEN');
      expect(await hs.withDb(async (db) => Number((await db('access_tokens').where({ user_id: id('kim') }).count({ n: '*' }))[0]!.n))).toBe(0);
      expect(Boolean(await hs.withDb(async (db) => (await db('users').where({ name: id('kim') }).first()).locked))).toBe(true);
      expect(await mintedTokensLeft()).toBe(0);
    });

    it('apply: the admin flags it changes go through the API with one token; the rest in the database', async () => {
      const old = await loginToken(url(), 'bob', PW);
      expect((await getUser(url(), old, id('bob'))).status).toBe(403);
      const file = `${hs.dir}/users.yaml`;
      writeFileSync(file, 'users:\n  - {user: bob, admin: true}\n  - {user: ivy, admin: false, random_password: true}\n');
      const json = okJson(await tool(['--json', 'apply', file]));
      expect(json).toMatchObject({ applied_via: 'admin-api', restart_needed: false, created: 1, updated: 1 });
      const notes = json.notes.join('\n');
      expect(notes).toContain(`Through Synapse's Admin API (shown at once): ${id('bob')}: admin 0 -> 1.`);
      expect(notes).toContain(`In the database only (nothing Synapse caches): ${id('ivy')}.`);
      expect((await getUser(url(), old, id('bob'))).status).toBe(200);
      expect(await mintedTokensLeft()).toBe(0);
      // Back as before, for the no-admin case below.
      expect(okJson(await tool(['--json', 'demote', 'bob']))).toMatchObject({ applied_via: 'admin-api', changed: true });
    });

    it('with no usable admin (the only admin Synapse still takes for none), a helper acts and is gone afterwards', async () => {
      const ginaOld = await loginToken(url(), 'gina', PW);
      const hankOld = await loginToken(url(), 'hank', PW);
      expect((await getUser(url(), hankOld, id('hank'))).status).toBe(403);
      expect((await adminPut(url(), rootToken, `/_synapse/admin/v2/users/${encodeURIComponent(id('gina'))}`, { locked: true })).status).toBe(200);
      expect((await whoami(url(), ginaOld)).body.errcode).toBe('M_USER_LOCKED');
      expect((await adminPost(url(), rootToken, `/_synapse/admin/v1/deactivate/${encodeURIComponent(id('root'))}`, { erase: false })).status).toBe(200);
      // hank: an admin in the database only; Synapse's cache still says no.
      expect(okJson(await tool(['--json', 'promote', 'hank', '--live', 'never']))).toMatchObject({ applied_via: 'database', restart_needed: true });

      const json = okJson(await tool(['--json', 'unlock', 'gina']));
      const steps = json.notes.join('\n');
      expect(steps).toContain(`Synapse does not take ${id('hank')} for an admin yet (403`);
      const helper = /Made helper admin (@sab-live-[0-9a-f]{8}:\S+) /.exec(steps)?.[1];
      expect(helper).toBeDefined();
      expect(steps).toContain(`Deactivated helper ${helper}; its token is refused.`);
      expect((await whoami(url(), ginaOld)).status).toBe(200);
      expect(await mintedTokensLeft()).toBe(0);

      // What stays: exactly the documented rows. Synapse writes user_ips in a batch every few seconds.
      await waitFor(
        () => hs.withDb(async (db) => ((await db('user_ips').where({ user_id: helper! }).first()) ? true : undefined)),
        30_000,
        () => 'no user_ips row for the helper within 30 s',
      );
      const rows = await hs.withDb(async (db) => {
        const schema = await readSchema(db);
        const found: string[] = [];
        for (const [table, columns] of schema) {
          for (const [column, info] of columns) {
            if (!/text|char/.test(info.type)) continue;
            const n = Number((await db(table).where(column, helper!).orWhere(column, helper!.slice(1, helper!.indexOf(':'))).count({ n: '*' }))[0]!.n);
            if (n > 0) found.push(`${table}.${column}: ${n}`);
          }
        }
        return found.sort();
      });
      expect(rows).toEqual(['erased_users.user_id: 1', 'user_ips.user_id: 1', 'user_stats_current.user_id: 1', 'users.name: 1']);
      const row = await hs.withDb((db) => db('users').where({ name: helper }).first());
      expect(row).toMatchObject({ admin: 0, deactivated: 1, password_hash: null });
      const check = okJson(await tool(['--json', 'check']));
      expect(check.live_helpers_left ?? []).toEqual([]);
    });

    it('check lists a helper an interrupted run left; the next --live run deactivates it', async () => {
      const left = id('sab-live-0123abcd');
      okJson(await tool(['--json', 'register', 'sab-live-0123abcd', '--admin', '--random-password']));
      // One with a valid token belongs to a run going on now: not left over, left alone.
      const busy = id('sab-live-4567cdef');
      okJson(await tool(['--json', 'register', 'sab-live-4567cdef', '--admin', '--random-password']));
      okJson(await tool(['--json', 'issue-token', 'sab-live-4567cdef', '--expires-in', '10m']));
      const check = await tool(['--json', 'check']);
      expect(okJson(check).live_helpers_left).toEqual([left]);
      expect(check.stderr).toContain(`Helper admin(s) left by an interrupted --live run: ${left}`);
      const json = okJson(await tool(['--json', 'demote', 'hank']));
      expect(json.notes.join('\n')).toContain(`Deactivated helper(s) left by an interrupted run: ${left}.`);
      // No usable admin is left now (hank was the last; a helper is none): check exits 5, and lists no helper.
      const after = await tool(['--json', 'check']);
      expect(after.code).toBe(5);
      expect(parseJson(after).live_helpers_left).toEqual([]);
      expect(parseJson(after).error.message).not.toContain('sab-live-');
      expect(await hs.withDb(async (db) => (await db('users').where({ name: busy }).first()).deactivated)).toBe(0);
      // Only the busy helper's own token, which this test issued.
      expect(await mintedTokensLeft()).toBe(1);
    });

    it('--live always with Synapse stopped: exit 4, nothing changed', async () => {
      await hs.stop();
      const err = failedJson(await tool(['--json', 'promote', 'dan', '--live', 'always']), 4);
      expect(err.kind).toBe('admin_api');
      expect(err.message).toMatch(/Nothing was changed/);
      expect(await hs.withDb(async (db) => (await db('users').where({ name: id('dan') }).first()).admin)).toBe(0);
      // auto with Synapse stopped: the database, as before.
      expect(okJson(await tool(['--json', 'promote', 'dan']))).toMatchObject({ applied_via: 'database', changed: true, synapse_running: false });
    });
  });
}
