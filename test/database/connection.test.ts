// How the tool connects to PostgreSQL as deployments set it up, and what it says when the server
// is not what it should be: every operational failure is exit 3 or 4 with advice, never exit 1.
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmodSync, writeFileSync } from 'node:fs';
import { createServer as createHttpServer } from 'node:http';
import { createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { join } from 'node:path';
import knexFactory, { type Knex } from 'knex';
import pg from 'pg';
import { afterEach, describe, expect, inject, it } from 'vitest';
import { migrateTo } from '../../migrations/synapse/index.js';
import { withDatabase } from '../../src/database/connection.js';
import { emptyDatabase, freshDatabase, postgresConnection, writeHomeserverYaml, type FreshDatabase } from '../helpers/databases.js';
import { withAdmin } from '../helpers/postgres.js';
import { cli } from '../helpers/run-cli.js';
import { seedUser } from '../helpers/seed.js';
import { tempDir } from '../helpers/temp-tree.js';

const HS = 'example.test';
const ident = pg.escapeIdentifier;

let cleanups: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const c of cleanups.reverse()) await c();
  cleanups = [];
});

async function track(db: FreshDatabase): Promise<FreshDatabase> {
  cleanups.push(() => db.cleanup());
  return db;
}

/** A homeserver.yaml whose database args are exactly `args`, as an admin would write them. */
async function configWith(args: Record<string, unknown>): Promise<string> {
  const dir = tempDir('sab-conn-');
  return writeHomeserverYaml(dir, {
    serverName: HS,
    database: { engine: 'sqlite', path: 'unused' },
    extra: { database: { name: 'psycopg2', args }, listeners: [], report_stats: false, bcrypt_rounds: 4 },
  });
}

function argsOf(db: FreshDatabase): Record<string, unknown> {
  const { host, port, user, password, database } = postgresConnection(db.settings);
  return { host, port, user, password, dbname: database, sslmode: 'disable' };
}

/** A login role of its own, dropped after the test. */
async function role(db: FreshDatabase, password: string | null, extra = ''): Promise<string> {
  const { adminUrl } = inject('sabPostgres');
  const name = `sab_role_${randomBytes(4).toString('hex')}`;
  await withAdmin(adminUrl, (c) =>
    c.query(`CREATE ROLE ${ident(name)} LOGIN ${password === null ? '' : `PASSWORD '${password}'`} ${extra}`),
  );
  cleanups.push(async () => {
    await db.knex.raw(`DROP OWNED BY ${ident(name)}`).catch(() => undefined);
    await withAdmin(adminUrl, (c) => c.query(`DROP ROLE IF EXISTS ${ident(name)}`));
  });
  return name;
}

describe('options, as psycopg2 passes them to libpq', () => {
  /** Synapse's tables in schema matrix, and a stale Synapse-shaped copy in public. */
  async function matrixSchemaDatabase(): Promise<{ db: FreshDatabase; inMatrix: Knex }> {
    const db = await track(await emptyDatabase('postgres'));
    await db.knex.raw('CREATE SCHEMA matrix');
    await migrateTo(db.knex, 94);
    const { host, port, user, password, database } = postgresConnection(db.settings);
    const inMatrix = knexFactory({ client: 'pg', connection: { host, port, user, password, database }, searchPath: ['matrix'], pool: { min: 0, max: 1 } });
    cleanups.push(() => inMatrix.destroy());
    await migrateTo(inMatrix, 94);
    await seedUser(inMatrix, { name: '@alice:example.test' });
    return { db, inMatrix };
  }

  it.each([
    ['database.args.options', (db: FreshDatabase) => configWith({ ...argsOf(db), options: '-c search_path=matrix' }), {}],
    ['PGOPTIONS', (db: FreshDatabase) => configWith(argsOf(db)), { PGOPTIONS: '-c search_path=matrix' }],
  ])('%s: promotes in the schema search_path names, reads there too, and leaves public alone', async (_, config, env) => {
    const { db, inMatrix } = await matrixSchemaDatabase();
    const path = await config(db);
    const promote = await cli(['-c', path, '--json', 'promote', 'alice'], { env });
    expect(promote.code, promote.stderr).toBe(0);
    expect(await inMatrix('users').where({ name: '@alice:example.test' }).first('admin')).toEqual({ admin: 1 });
    expect(await db.knex('public.users').count({ n: '*' })).toEqual([{ n: '0' }]);
    const list = await cli(['-c', path, '--json', 'list-admins'], { env });
    expect(list.code, list.stderr).toBe(0);
    expect(JSON.stringify(list.json())).toContain('@alice:example.test');
  });

  it('takes options from a --database-url', async () => {
    const { db, inMatrix } = await matrixSchemaDatabase();
    const { host, port, user, password, database } = postgresConnection(db.settings);
    const url =
      `postgresql://${encodeURIComponent(user!)}:${encodeURIComponent(password!)}@${host}:${port}/${database}` +
      '?sslmode=disable&options=-c%20search_path%3Dmatrix';
    const run = await cli(['--database-url', url, '-c', await configWith(argsOf(db)), 'register', 'bob', '--admin', '--password-stdin'], {
      input: 'a-long-enough-password',
    });
    expect(run.code, run.stderr).toBe(0);
    expect(await inMatrix('users').where({ name: '@bob:example.test' }).first('admin')).toEqual({ admin: 1 });
    expect(await db.knex('public.users').count({ n: '*' })).toEqual([{ n: '0' }]);
  });

  it('keeps a read-only session read-only whatever the options say', async () => {
    const { db, inMatrix } = await matrixSchemaDatabase();
    const settings = { engine: 'postgres' as const, connection: { ...postgresConnection(db.settings), options: '-c search_path=matrix -c default_transaction_read_only=off' } };
    const attempt = withDatabase(settings, 'read', (handle) => handle('users').update({ admin: 1 }));
    await expect(attempt).rejects.toThrow(/read-only/);
    expect(await inMatrix('users').first('admin')).toEqual({ admin: 0 });
  });
});

describe('passwords', () => {
  it('fails at once, exit 3, naming where a password can come from, when the server wants one and none is given', async () => {
    const db = await track(await freshDatabase('postgres'));
    const home = tempDir('sab-home-');
    const { password: _, ...args } = argsOf(db);
    const started = Date.now();
    const run = await cli(['-c', await configWith(args), '--json', 'list-admins'], { env: { HOME: home } });
    expect(run.code, run.stderr).toBe(3);
    const message = run.json().error.message as string;
    expect(message).toMatch(/asks for a password, and none is given/);
    expect(message).toMatch(/database\.args\.password .*PGPASSWORD.*passfile/);
    expect(message).toContain(`there is no passfile ${home}/.pgpass`);
    expect(Date.now() - started).toBeLessThan(5_000);
  });

  it('says why the passfile gave nothing: no matching line, or readable by others', async () => {
    const db = await track(await freshDatabase('postgres'));
    const home = tempDir('sab-home-');
    const { password, ...args } = argsOf(db);
    const config = await configWith(args);
    writeFileSync(join(home, '.pgpass'), `otherhost:*:*:*:${password}\n`, { mode: 0o600 });
    const noLine = await cli(['-c', config, '--json', 'list-admins'], { env: { HOME: home } });
    expect(noLine.code).toBe(3);
    expect(noLine.json().error.message).toMatch(/has no line for 127\.0\.0\.1:\d+:sab_test_\w+:postgres/);
    writeFileSync(join(home, '.pgpass'), `*:*:*:*:${password}\n`);
    chmodSync(join(home, '.pgpass'), 0o644);
    const open = await cli(['-c', config, '--json', 'list-admins'], { env: { HOME: home } });
    expect(open.code).toBe(3);
    expect(open.json().error.message).toMatch(/can be read by group or others, so libpq ignores it \(chmod 600/);
    expect(open.stdout + open.stderr).not.toContain(password as string);
  });

  it('reads ~/.pgpass by libpq rules: escapes, wildcards, and the first matching line', async () => {
    const db = await track(await freshDatabase('postgres'));
    const home = tempDir('sab-home-');
    const { password, host, port, ...args } = argsOf(db);
    const escaped = (password as string).replace(/[\\:]/g, '\\$&');
    writeFileSync(join(home, '.pgpass'), `# comment\n${host}:${port}:other_db:*:wrong\n${host}:*:*:postgres:${escaped}\n*:*:*:*:wrong\n`, {
      mode: 0o600,
    });
    const run = await cli(['-c', await configWith({ ...args, host, port }), 'list-admins'], { env: { HOME: home } });
    expect(run.code, run.stderr).toBe(0);
  });

  it('prints no DeprecationWarning when the password comes from ~/.pgpass (a real process)', async () => {
    const db = await track(await freshDatabase('postgres'));
    const home = tempDir('sab-home-');
    const { password, host, port, ...args } = argsOf(db);
    writeFileSync(join(home, '.pgpass'), `${host}:${port}:*:*:${password}\n`, { mode: 0o600 });
    const run = await runProcess(['-c', await configWith({ ...args, host, port }), 'list-admins'], { HOME: home, PATH: process.env.PATH });
    expect(run.code, run.stderr).toBe(0);
    expect(run.stderr).not.toMatch(/DeprecationWarning|deprecated/i);
  });

  it('exits at once in a real process when no password is given, instead of waiting for the server to give up', async () => {
    const db = await track(await freshDatabase('postgres'));
    const { password: _, ...args } = argsOf(db);
    const home = tempDir('sab-home-');
    const started = Date.now();
    const run = await runProcess(['-c', await configWith(args), 'list-admins'], { HOME: home, PATH: process.env.PATH });
    expect(run.code, run.stderr).toBe(3);
    expect(Date.now() - started).toBeLessThan(15_000);
  }, 90_000);
});

/** The CLI as a separate process: what it prints on stderr and how long it lives are real. */
async function runProcess(argv: string[], env: NodeJS.ProcessEnv): Promise<{ code: number | null; stderr: string }> {
  const child = spawn(process.execPath, [inject('sabCli'), ...argv], { env, stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
  const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
  return { code, stderr };
}

describe('a server that is not PostgreSQL, or does not answer', () => {
  async function listening(server: Server): Promise<number> {
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    cleanups.push(() => new Promise((resolve) => server.close(resolve)));
    return (server.address() as AddressInfo).port;
  }

  it.each(['disable', 'prefer'])('names an HTTP listener such as Synapse in place of PostgreSQL (sslmode %s)', async (sslmode) => {
    const http = createHttpServer((_, res) => {
      res.writeHead(404, { Server: 'Synapse/1.160.0' });
      res.end();
    });
    const port = await listening(http);
    const config = await configWith({ host: '127.0.0.1', port, user: 'synapse', password: 'Secret-Pw-1', dbname: 'synapse', sslmode, connect_timeout: 2 });
    const run = await cli(['-c', config, '--json', 'list-admins']);
    expect(run.code, run.stdout).toBe(4);
    const message = run.json().error.message as string;
    expect(message).toMatch(new RegExp(`At 127\\.0\\.0\\.1:${port} there is an HTTP server \\(Server: Synapse/1\\.160\\.0\\): Synapse's own HTTP listener`));
    expect(message).toMatch(/Check host and port/);
    expect(run.stdout + run.stderr).not.toContain('Secret-Pw-1');
  });

  it('says a server that takes the connection and never answers did not answer, exit 4', async () => {
    const sockets: Socket[] = [];
    const port = await listening(createServer((s) => sockets.push(s)));
    cleanups.push(async () => sockets.forEach((s) => s.destroy()));
    const config = await configWith({ host: '127.0.0.1', port, user: 'synapse', password: 'pw', dbname: 'synapse', connect_timeout: 1 });
    const run = await cli(['-c', config, '--json', 'promote', 'alice']);
    expect(run.code, run.stdout).toBe(4);
    expect(run.json().error.message).toMatch(/got no PostgreSQL answer within 1s. At 127\.0\.0\.1:\d+ there is a service that accepts connections but answers nothing/);
  });
});

describe('a server that refuses the change', () => {
  it('says a read-only server (a standby, or default_transaction_read_only) is one, and points at the primary', async () => {
    const db = await track(await freshDatabase('postgres'));
    await seedUser(db.knex, { name: '@alice:example.test' });
    await db.knex.raw(`ALTER DATABASE ${ident(postgresConnection(db.settings).database!)} SET default_transaction_read_only = on`);
    const config = await configWith(argsOf(db));
    const run = await cli(['-c', config, '--json', 'promote', 'alice']);
    expect(run.code, run.stdout).toBe(4);
    expect(run.json().error.message).toMatch(/is read-only: it is a standby \(replica\).*Nothing was changed\. Point the tool at the primary/);
    expect((await cli(['-c', config, 'list-admins'])).code).toBe(0);
  });

  it('names the role, the table and the grant when the user may only read', async () => {
    const db = await track(await freshDatabase('postgres'));
    await seedUser(db.knex, { name: '@alice:example.test' });
    const name = await role(db, 'Reader-Pw-1');
    await db.knex.raw(`GRANT SELECT ON ALL TABLES IN SCHEMA public TO ${ident(name)}`);
    const config = await configWith({ ...argsOf(db), user: name, password: 'Reader-Pw-1' });
    const run = await cli(['-c', config, '--json', 'promote', 'alice']);
    expect(run.code, run.stdout).toBe(4);
    const message = run.json().error.message as string;
    expect(message).toContain(`PostgreSQL user "${name}" may not change Synapse's tables`);
    expect(message).toMatch(/permission denied for table users/);
    expect(message).toMatch(/Connect as the user Synapse itself uses .* GRANT SELECT, INSERT, UPDATE, DELETE/);
    expect(run.stdout + run.stderr).not.toContain('Reader-Pw-1');
    expect(await db.knex('users').first('admin')).toEqual({ admin: 0 });
  });

  it('says the server is out of connections for the role, exit 4', async () => {
    const db = await track(await freshDatabase('postgres'));
    const name = await role(db, 'Limited-Pw-1', 'CONNECTION LIMIT 0');
    const run = await cli(['-c', await configWith({ ...argsOf(db), user: name, password: 'Limited-Pw-1' }), '--json', 'list-admins']);
    expect(run.code, run.stdout).toBe(4);
    expect(run.json().error.message).toMatch(/is out of resources \(53300: too many connections for role/);
  });
});
