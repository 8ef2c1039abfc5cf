// PostgreSQL as deployments set it up: Synapse's tables in their own schema, reached through
// psycopg2's `options: "-c search_path=matrix"`, with a stale Synapse-shaped copy left in public.
// The tool must change the tables Synapse uses, and Synapse must see it. And pointed at Synapse's
// HTTP port instead of PostgreSQL, the tool must say so.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { migrateTo } from '../../migrations/synapse/index.js';
import { e2eContext } from './harness/context.js';
import { openPg, withKnex } from './harness/db.js';
import type { RunResult } from './harness/exec.js';
import { Homeserver } from './harness/homeserver.js';
import { getUser, login, loginToken } from './harness/http.js';
import { failedJson, okJson, toolOn } from './harness/tool.js';

const ctx = e2eContext();

describe('Synapse in schema matrix via options, stale tables in public', () => {
  let hs: Homeserver;
  let tool: ReturnType<typeof toolOn>;
  const r: Record<string, RunResult> = {};
  let publicBefore: unknown;
  const publicRows = () =>
    withKnex(openPg(ctx.pg, hs.dbName), async (db) => ({
      users: await db('public.users').orderBy('name').select(),
      profiles: await db('public.profiles').orderBy('user_id').select(),
    }));

  beforeAll(async () => {
    hs = await Homeserver.create(ctx, { name: 'dbdep-schema', engine: 'postgres', pgVia: 'tcp', pgArgs: { options: '-c search_path=matrix' } });
    tool = toolOn(hs);
    // What an earlier install left in public: Synapse-shaped tables, with an alice of their own.
    await withKnex(openPg(ctx.pg, hs.dbName), async (db) => {
      await db.raw('CREATE SCHEMA matrix');
      await migrateTo(db, 94);
      await db('public.users').insert({ name: hs.userId('alice'), password_hash: null, creation_ts: 1, admin: 0, is_guest: 0, deactivated: 0 });
    });
    await hs.start();
    await hs.register('alice', 'Alice-pw-1');
    await hs.register('synadmin', 'Synadmin-pw-1', { admin: true });
    await hs.stop();
    publicBefore = await publicRows();

    r.listBefore = await tool(['--json', 'list-admins']);
    r.promote = await tool(['--json', 'promote', 'alice']);
    r.register = await tool(['--json', 'register', 'bob', '--admin', '--password-stdin'], { input: 'Bob-pw-1\n' });
    r.list = await tool(['--json', 'list-admins']);
    await hs.start();
  });

  afterAll(async () => {
    await hs?.destroy();
  });

  it('promotes the alice Synapse uses: she can use the Admin API', async () => {
    expect(okJson(r.promote!)).toMatchObject({ changed: true });
    const token = await loginToken(hs.baseUrl, 'alice', 'Alice-pw-1');
    expect((await getUser(hs.baseUrl, token, hs.userId('alice'))).status).toBe(200);
  });

  it('registers an admin Synapse logs in and obeys', async () => {
    okJson(r.register!);
    const reply = await login(hs.baseUrl, 'bob', 'Bob-pw-1');
    expect(reply.status).toBe(200);
    expect((await getUser(hs.baseUrl, reply.body.access_token as string, hs.userId('bob'))).status).toBe(200);
  });

  it('reads the same schema on the read-only path', () => {
    const admins = (run: RunResult) => (okJson(run).admins as { user_id: string }[]).map((a) => a.user_id).sort();
    expect(admins(r.listBefore!)).toEqual([hs.userId('synadmin')]);
    expect(admins(r.list!)).toEqual([hs.userId('alice'), hs.userId('bob'), hs.userId('synadmin')]);
  });

  it('leaves the stale tables in public untouched', async () => {
    expect(await publicRows()).toEqual(publicBefore);
  });

  it("names Synapse's HTTP listener when pointed at it instead of PostgreSQL", async () => {
    const url = `postgresql://${ctx.pg.user}:${ctx.pg.password}@127.0.0.1:${hs.port}/${hs.dbName}?connect_timeout=2`;
    const run = await tool(['--json', '--database-url', url, 'list-admins']);
    const error = failedJson(run, 4);
    expect(error.message).toMatch(new RegExp(`At 127\\.0\\.0\\.1:${hs.port} there is an HTTP server \\(Server: Synapse/[^)]*\\): Synapse's own HTTP listener`));
    expect(run.stdout + run.stderr).not.toContain(ctx.pg.password);
  });
});
