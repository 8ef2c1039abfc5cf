// Issue 19: --live when the Admin API does not play along. A local HTTP server stands in for
// Synapse's listener (real sockets, real SQLite database, the CLI in-process): a 401 on the
// minted token (another database, or MAS), a call that fails half-way, a dry run.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { freshDatabase, writeHomeserverYaml, type FreshDatabase } from '../helpers/databases.js';
import { seedUser } from '../helpers/seed.js';
import { cli } from '../helpers/run-cli.js';

const HS = 'example.test';

interface Seen {
  method: string;
  url: string;
  token: boolean;
  /** Whose token it was: the localpart Synapse's token format carries (syt_<base64 localpart>_...). */
  as?: string;
}

type Answer = (req: { method: string; url: string; as?: string }) => [number, unknown] | Promise<[number, unknown]>;

function tokenOwner(authorization: string | undefined): string | undefined {
  const m = /^Bearer syt_([A-Za-z0-9+/]+)_/.exec(authorization ?? '');
  return m ? Buffer.from(m[1]!, 'base64').toString('utf8') : undefined;
}

let dir: string;
let db: FreshDatabase;
let server: http.Server;
let seen: Seen[];
let answer: Answer;

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'sab-live-fail-'));
  db = await freshDatabase('sqlite');
  await seedUser(db.knex, { name: `@root:${HS}`, admin: true });
  await seedUser(db.knex, { name: `@alice:${HS}`, locked: true, suspended: true });
  seen = [];
  server = http.createServer((req, res) => {
    req.resume();
    req.on('end', async () => {
      const method = req.method ?? '';
      const url = req.url ?? '';
      const as = tokenOwner(req.headers.authorization);
      seen.push({ method, url, token: req.headers.authorization !== undefined, as });
      if (url === '/health') return void res.writeHead(200).end('OK');
      if (url === '/_synapse/admin/v1/server_version') return void res.writeHead(200).end('{"server_version":"1.160.0"}');
      const [status, body] = await answer({ method, url, as });
      // 0: the connection breaks with no answer at all.
      if (status === 0) return void res.socket?.destroy();
      res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
    });
  });
  await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
  const port = (server.address() as AddressInfo).port;
  await writeHomeserverYaml(dir, {
    serverName: HS,
    database: db.settings,
    extra: { listeners: [{ port, type: 'http', bind_addresses: ['127.0.0.1'], resources: [{ names: ['client'] }] }] },
  });
});

afterEach(async () => {
  await new Promise((done) => server.close(done));
  await db.cleanup();
  await rm(dir, { recursive: true, force: true });
});

const run = (...args: string[]) => cli(['-c', join(dir, 'homeserver.yaml'), '--json', ...args]);
const tokensLeft = async () => Number((await db.knex('access_tokens').count({ n: '*' }))[0]!.n);
const user = async (name: string) => db.knex('users').where({ name: `@${name}:${HS}` }).first();

describe('--live failures', () => {
  it('a 401 on the minted token (another database, or MAS): exit 4, nothing changed, the token row removed', async () => {
    answer = () => [401, { errcode: 'M_UNKNOWN_TOKEN', error: 'Invalid access token passed.' }];
    const r = await run('promote', 'alice', '--live', 'always');
    expect(r.code).toBe(4);
    expect(r.json().error.kind).toBe('admin_api');
    expect(r.json().error.message).toMatch(/does not know a token the tool wrote .* Nothing was changed/);
    expect((await user('alice')).admin).toBe(0);
    expect(await tokensLeft()).toBe(0);
    expect(r.stdout + r.stderr).not.toContain('syt_');
  });

  it('a database error while writing the token (knex quotes the values in its message): the token is not in the output', async () => {
    answer = () => [500, {}];
    await db.knex.raw("CREATE TRIGGER refuse_tokens BEFORE INSERT ON access_tokens BEGIN SELECT RAISE(ABORT, 'refused by a trigger'); END");
    const r = await run('promote', 'alice', '--live', 'always', '--verbose');
    expect(r.code).not.toBe(0);
    expect(r.stdout + r.stderr).toContain('refused by a trigger');
    expect(r.stdout + r.stderr).not.toMatch(/syt_/);
    expect(await tokensLeft()).toBe(0);
  });

  it('the connection breaks at the first call with a minted token: exit 4, nothing changed, the token row removed', async () => {
    answer = () => [0, {}];
    const r = await run('promote', 'alice', '--live', 'always');
    expect(r.code).toBe(4);
    expect(r.json().error.message).toMatch(/failed: ECONNRESET\. Nothing was changed\./);
    expect((await user('alice')).admin).toBe(0);
    expect(await tokensLeft()).toBe(0);
  });

  it('the connection breaks at logout/all: exit 4, and the token row written for it removed', async () => {
    answer = () => [0, {}];
    const r = await cli(['-c', join(dir, 'homeserver.yaml'), '--json', 'set-password', 'root', '--logout', '--password-stdin'], { input: 'New-pw-5-long\n' });
    expect(r.code).toBe(4);
    expect(await tokensLeft()).toBe(0);
  });

  it('a call failing half-way: exit 4, says what was done, and the token is logged out', async () => {
    answer = ({ method, url }) => {
      if (url.endsWith('/admin') && method === 'GET') return [200, { admin: true }];
      if (url.startsWith('/_synapse/admin/v2/users/') && method === 'PUT') return [200, {}];
      if (url.startsWith('/_synapse/admin/v1/suspend/')) return [500, { errcode: 'M_UNKNOWN', error: 'Internal server error' }];
      if (url === '/_matrix/client/v3/logout') return [200, {}];
      return [401, { errcode: 'M_UNKNOWN_TOKEN' }];
    };
    const r = await run('unlock', 'alice');
    expect(r.code).toBe(4);
    expect(r.json().error.message).toMatch(
      /refused PUT \/_synapse\/admin\/v1\/suspend\/%40alice%3Aexample\.test \{"suspend":false\} .* 500 M_UNKNOWN: Internal server error\. Done before this: @alice:example\.test: locked true -> false\./,
    );
    expect(seen.filter((s) => s.token).map((s) => `${s.method} ${s.url}`)).toEqual([
      'GET /_synapse/admin/v1/users/%40root%3Aexample.test/admin',
      'PUT /_synapse/admin/v2/users/%40alice%3Aexample.test',
      'PUT /_synapse/admin/v1/suspend/%40alice%3Aexample.test',
      'POST /_matrix/client/v3/logout',
      'GET /_matrix/client/v3/account/whoami',
    ]);
  });

  it('an admin demoted by another run half-way: a helper takes over and finishes; both tokens end', async () => {
    answer = ({ method, url, as }) => {
      if (url.endsWith('/admin') && method === 'GET') return [200, { admin: true }];
      if (method === 'PUT' && as === 'root') return [403, { errcode: 'M_FORBIDDEN', error: 'You are not a server admin' }];
      if (url.startsWith('/_synapse/admin/v2/users/') && method === 'GET') return [200, { locked: false, suspended: false }];
      if (method === 'PUT') return [200, {}];
      if (url === '/_matrix/client/v3/logout' || url.startsWith('/_synapse/admin/v1/deactivate/')) return [200, {}];
      return [401, { errcode: 'M_UNKNOWN_TOKEN' }];
    };
    const r = await run('unlock', 'alice');
    expect(r.code).toBe(0);
    const notes = r.json().notes.join('\n');
    expect(notes).toMatch(/@root:example\.test lost its admin rights during the run .*; a helper admin takes over\./);
    expect(notes).toMatch(/Deactivated helper @sab-live-[0-9a-f]{8}:example\.test; its token is refused\./);
    expect(r.json().changes).toEqual(['@alice:example.test: locked true -> false', '@alice:example.test: suspended true -> false']);
    const byHelper = seen.filter((s) => s.as?.startsWith('sab-live-') && s.method === 'PUT').map((s) => s.url);
    expect(byHelper).toEqual(['/_synapse/admin/v2/users/%40alice%3Aexample.test', '/_synapse/admin/v1/suspend/%40alice%3Aexample.test']);
    expect(seen.some((s) => s.as === 'root' && s.url === '/_matrix/client/v3/logout')).toBe(true);
  });

  it('set-password --logout of a locked user: its own token logs it out everywhere (Synapse lets a locked user log out)', async () => {
    answer = ({ method, url, as }) => {
      if (method === 'POST' && url === '/_matrix/client/v3/logout/all' && as === 'alice') return [200, {}];
      return [401, { errcode: 'M_UNKNOWN_TOKEN' }];
    };
    const r = await cli(['-c', join(dir, 'homeserver.yaml'), '--json', 'set-password', 'alice', '--logout', '--password-stdin'], { input: 'New-pw-3-long\n' });
    expect(r.code).toBe(0);
    expect(r.json()).toMatchObject({ applied_via: 'admin-api', changed: true });
    expect(seen.filter((s) => s.token).map((s) => `${s.as} ${s.method} ${s.url}`)).toEqual([
      'alice POST /_matrix/client/v3/logout/all',
      'alice GET /_matrix/client/v3/account/whoami',
    ]);
    expect((await user('alice')).locked).toBe(1);
  });

  it('a user named like a helper but no admin (anyone may register that name) is no helper: no run deactivates it', async () => {
    await seedUser(db.knex, { name: `@sab-live-0123abcd:${HS}` });
    answer = ({ method, url }) => {
      if (url.endsWith('/admin') && method === 'GET') return [200, { admin: true }];
      if (url.startsWith('/_synapse/admin/v2/users/') && method === 'GET') return [200, { locked: false, suspended: false }];
      if (method === 'PUT' || url === '/_matrix/client/v3/logout') return [200, {}];
      return [401, { errcode: 'M_UNKNOWN_TOKEN' }];
    };
    const r = await run('unlock', 'alice');
    expect(r.code).toBe(0);
    expect(seen.filter((s) => s.url.startsWith('/_synapse/admin/v1/deactivate/'))).toEqual([]);
    const check = await run('check');
    expect(check.json().live_helpers_left ?? []).toEqual([]);
  });

  it('check: a helper an interrupted run left is listed, and is no usable admin (nobody can log in as it)', async () => {
    await db.knex('users').where({ name: `@root:${HS}` }).update({ deactivated: 1 });
    await seedUser(db.knex, { name: `@sab-live-0123abcd:${HS}`, admin: true });
    const r = await run('check');
    expect(r.code).toBe(5);
    expect(r.json()).toMatchObject({ usable_admins: 0, live_helpers_left: [`@sab-live-0123abcd:${HS}`] });
  });

  it('clearing a finished helper\'s admin flag in the database fails: the change is done, so exit 0 with a warning', async () => {
    await db.knex('users').where({ name: `@root:${HS}` }).update({ deactivated: 1 });
    await db.knex.raw("CREATE TRIGGER keep_helper_admin BEFORE UPDATE OF admin ON users WHEN NEW.name LIKE '@sab-live-%' BEGIN SELECT RAISE(ABORT, 'refused by a trigger'); END");
    answer = ({ method, url }) => {
      if (url.endsWith('/admin') && method === 'GET') return [200, { admin: true }];
      if (url.startsWith('/_synapse/admin/v2/users/') && method === 'GET') return [200, { locked: false, suspended: false }];
      if (method === 'PUT') return [200, {}];
      if (url.startsWith('/_synapse/admin/v1/deactivate/')) {
        // As Synapse: the deactivation is in the database when the answer comes.
        const helper = decodeURIComponent(url.slice('/_synapse/admin/v1/deactivate/'.length));
        return db.knex('users').where({ name: helper }).update({ deactivated: 1 }).then(() => [200, {}]);
      }
      return [401, { errcode: 'M_UNKNOWN_TOKEN' }];
    };
    const r = await run('unlock', 'alice');
    expect(r.code).toBe(0);
    expect(r.json().changes).toEqual(['@alice:example.test: locked true -> false', '@alice:example.test: suspended true -> false']);
    expect(r.json().warnings.join('\n')).toMatch(/Helper @sab-live-[0-9a-f]{8}:example\.test is deactivated and its token refused, but clearing its admin flag in the database failed: .*refused by a trigger/);
  });

  it('a read-back that disagrees: exit 4 naming the flags Synapse gave, not the rest of the user (e-mail addresses)', async () => {
    answer = ({ method, url }) => {
      if (url.endsWith('/admin') && method === 'GET') return [200, { admin: true }];
      if (url.startsWith('/_synapse/admin/v2/users/') && method === 'GET') {
        return [200, { locked: true, suspended: false, threepids: [{ medium: 'email', address: 'alice@mail.example' }] }];
      }
      if (method === 'PUT' || url === '/_matrix/client/v3/logout') return [200, {}];
      return [401, { errcode: 'M_UNKNOWN_TOKEN' }];
    };
    const r = await run('unlock', 'alice');
    expect(r.code).toBe(4);
    expect(r.json().error.message).toContain('answers {"locked":true,"suspended":false} when asked again');
    expect(r.stdout + r.stderr).not.toContain('alice@mail.example');
  });

  it('a helper has no password at all while it acts (nobody can log in as it), and is deactivated at the end', async () => {
    await db.knex('users').where({ name: `@root:${HS}` }).update({ deactivated: 1 });
    const hashes: unknown[] = [];
    answer = async ({ method, url, as }) => {
      if (url.endsWith('/admin') && method === 'GET') {
        hashes.push((await user(as!))?.password_hash);
        return [200, { admin: true }];
      }
      if (url.startsWith('/_synapse/admin/v2/users/') && method === 'GET') return [200, { locked: false, suspended: false }];
      if (method === 'PUT' || url.startsWith('/_synapse/admin/v1/deactivate/')) return [200, {}];
      return [401, { errcode: 'M_UNKNOWN_TOKEN' }];
    };
    const r = await run('unlock', 'alice');
    expect(r.code).toBe(0);
    expect(hashes).toEqual([null]);
    expect(seen.filter((s) => s.url.startsWith('/_synapse/admin/v1/deactivate/%40sab-live-'))).toHaveLength(1);
  });

  it('a dry run asks only /health and server_version, and writes no token', async () => {
    answer = () => [500, {}];
    const r = await run('--dry-run', 'unlock', 'alice');
    expect(r.code).toBe(0);
    expect(r.json()).toMatchObject({ applied_via: 'admin-api', dry_run: true, changed: true });
    expect(r.json().changes.join('\n')).toContain('PUT /_synapse/admin/v1/suspend/%40alice%3Aexample.test {"suspend":false}');
    expect(seen.every((s) => !s.token)).toBe(true);
    expect(await tokensLeft()).toBe(0);
    expect((await user('alice')).locked).toBe(1);
  });

  it('--live never: the database, and no request at all', async () => {
    answer = () => [500, {}];
    const r = await run('unlock', 'alice', '--live', 'never');
    expect(r.json()).toMatchObject({ applied_via: 'database', changed: true });
    expect(seen.filter((s) => s.url !== '/health')).toEqual([]);
  });
});
