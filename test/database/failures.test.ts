// What happens when the database does not cooperate: it must end in a clear exit code and leave
// every row as it was.
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import knexFactory from 'knex';
import { afterEach, describe, expect, it } from 'vitest';
import type { DatabaseSettings } from '../../src/database/settings.js';
import { DIALECTS, freshDatabase, writeHomeserverYaml, type FreshDatabase } from '../helpers/databases.js';
import { cli } from '../helpers/run-cli.js';
import { seedUser, snapshot } from '../helpers/seed.js';
import { tempDir } from '../helpers/temp-tree.js';

const HS = 'example.test';

async function homeserver(database: DatabaseSettings): Promise<string> {
  const dir = tempDir('sab-fail-');
  // No listeners: nothing on this machine should be mistaken for our Synapse.
  return writeHomeserverYaml(dir, { serverName: HS, database, extra: { listeners: [], bcrypt_rounds: 4, report_stats: false } });
}

/** Makes every insert into `table` fail, as a crash halfway through a command would. */
async function breakInserts(db: FreshDatabase, table: string): Promise<void> {
  if (db.settings.engine === 'sqlite') {
    await db.knex.raw(`CREATE TRIGGER sab_fail BEFORE INSERT ON ${table} BEGIN SELECT RAISE(ABORT, 'injected failure'); END`);
  } else {
    await db.knex.raw(
      "CREATE FUNCTION sab_fail() RETURNS trigger AS $$ BEGIN RAISE EXCEPTION 'injected failure'; END $$ LANGUAGE plpgsql",
    );
    await db.knex.raw(`CREATE TRIGGER sab_fail BEFORE INSERT ON ${table} FOR EACH ROW EXECUTE FUNCTION sab_fail()`);
  }
}

describe.each(DIALECTS)('failures on %s', (dialect) => {
  let db: FreshDatabase | undefined;
  afterEach(async () => {
    await db?.cleanup();
    db = undefined;
  });

  it('a failure halfway through register leaves no trace', async () => {
    db = await freshDatabase(dialect);
    await breakInserts(db, 'user_directory');
    const before = await snapshot(db.knex);
    const config = await homeserver(db.settings);
    const run = await cli(['-c', config, 'register', 'alice', '--admin', '--password-stdin'], { input: 'pw-pw-pw-pw' });
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/injected failure/);
    expect(await snapshot(db.knex)).toEqual(before);
    expect(await db.knex('users').select()).toEqual([]);
  });

  it('a failing insert never shows the password hash in the error', async () => {
    db = await freshDatabase(dialect);
    await breakInserts(db, 'users');
    const run = await cli(['-c', await homeserver(db.settings), '--json', '--verbose', 'register', 'alice', '--admin', '--password-stdin'], {
      input: 'pw-pw-pw-pw',
    });
    expect(run.code).toBe(1);
    expect(run.stdout + run.stderr).toMatch(/injected failure/);
    expect(run.stdout + run.stderr).not.toMatch(/\$2b\$/);
  });

  it('a failing insert never shows the new access token in the error', async () => {
    db = await freshDatabase(dialect);
    await seedUser(db.knex, { name: '@alice:example.test', admin: true });
    await breakInserts(db, 'access_tokens');
    const run = await cli(['-c', await homeserver(db.settings), '--json', '--verbose', 'issue-token', 'alice']);
    expect(run.code).toBe(1);
    expect(run.stdout + run.stderr).not.toMatch(/syt_/);
  });

  it('waits for a concurrent writer instead of failing', async () => {
    db = await freshDatabase(dialect);
    await seedUser(db.knex, { name: '@alice:example.test' });
    const config = await homeserver(db.settings);
    const holder = db.settings.engine === 'sqlite' ? await holdSqliteLock(db.settings.path, 1500) : await holdPgLock(db, 1500);
    const run = await cli(['-c', config, '--json', 'promote', 'alice']);
    await holder;
    expect(run.code).toBe(0);
    expect(Number((await db.knex('users').first('admin')).admin)).toBe(1);
  });
});

/**
 * Another process holds SQLite's write lock for `ms` (better-sqlite3 waits synchronously, so the
 * holder cannot live in this process). Resolves once the lock is held; the returned promise ends
 * when the holder has let go.
 */
async function holdSqliteLock(path: string, ms: number): Promise<Promise<void>> {
  const script = `const D = require('better-sqlite3'); const db = new D(process.argv[1]);
    db.exec('BEGIN IMMEDIATE'); process.stdout.write('locked\\n');
    setTimeout(() => { db.exec('COMMIT'); db.close(); }, Number(process.argv[2]));`;
  const child = spawn(process.execPath, ['-e', script, path, String(ms)], { stdio: ['ignore', 'pipe', 'inherit'] });
  await once(child.stdout, 'data');
  return once(child, 'exit').then(() => undefined);
}

/** Another connection holds a row lock on users for `ms`. */
async function holdPgLock(db: FreshDatabase, ms: number): Promise<Promise<void>> {
  let locked!: () => void;
  const isLocked = new Promise<void>((r) => (locked = r));
  const done = db.knex.transaction(async (trx) => {
    await trx.raw('SELECT * FROM users FOR UPDATE');
    locked();
    await new Promise((r) => setTimeout(r, ms));
  });
  await isLocked;
  return done;
}

describe('connection failures', () => {
  it('never creates a missing SQLite file', async () => {
    const dir = tempDir('sab-fail-');
    const path = join(dir, 'nope.db');
    const run = await cli(['-c', await homeserver({ engine: 'sqlite', path }), '--json', 'list-admins']);
    expect(run.code).toBe(4);
    expect(run.json().error.message).toMatch(/nope\.db does not exist/);
    expect(existsSync(path)).toBe(false);
  });

  it('refuses a file that is not an SQLite database', async () => {
    const dir = tempDir('sab-fail-');
    const path = join(dir, 'homeserver.db');
    writeFileSync(path, 'this is not a database, just some text that is long enough to look like a header');
    const run = await cli(['-c', await homeserver({ engine: 'sqlite', path }), 'promote', 'alice']);
    expect(run.code).toBe(4);
    expect(run.stderr).toMatch(/not an SQLite database/);
  });

  it('refuses an SQLite database that is not Synapse', async () => {
    const dir = tempDir('sab-fail-');
    const path = join(dir, 'other.db');
    const other = knexFactory({ client: 'better-sqlite3', connection: { filename: path }, useNullAsDefault: true });
    await other.schema.createTable('users', (t) => t.text('name'));
    await other.destroy();
    const run = await cli(['-c', await homeserver({ engine: 'sqlite', path }), 'promote', 'alice']);
    expect(run.code).toBe(4);
    expect(run.stderr).toMatch(/not a Synapse database/);
  });

  it('says PostgreSQL refused the login without showing the password', async () => {
    const fresh = await freshDatabase('postgres');
    try {
      if (fresh.settings.engine !== 'postgres') throw new Error('expected postgres');
      const wrong = 'Wr0ng-Password-Value';
      const config = await homeserver({ ...fresh.settings, connection: { ...fresh.settings.connection, password: wrong } });
      const run = await cli(['-c', config, '--json', 'list-admins']);
      expect(run.code).toBe(4);
      expect(run.json().error.message).toMatch(/refused the login/);
      expect(run.stdout + run.stderr).not.toContain(wrong);
      expect(run.stdout + run.stderr).not.toContain(fresh.settings.connection.password!);
    } finally {
      await fresh.cleanup();
    }
  });

  it('names a TLS file that cannot be read', async () => {
    const dir = tempDir('sab-fail-');
    const args = { host: '127.0.0.1', port: 1, user: 'synapse', dbname: 'synapse', sslmode: 'verify-full', sslrootcert: '/nonexistent/root.crt' };
    const config = await writeHomeserverYaml(dir, {
      serverName: HS,
      database: { engine: 'sqlite', path: 'unused' },
      extra: { database: { name: 'psycopg2', args }, listeners: [], report_stats: false },
    });
    const run = await cli(['-c', config, '--json', 'list-admins']);
    expect(run.code).toBe(3);
    expect(run.json().error.message).toMatch(/sslrootcert \/nonexistent\/root\.crt/);
  });

  it('says PostgreSQL cannot be reached', async () => {
    const config = await homeserver({
      engine: 'postgres',
      connection: { host: '127.0.0.1', port: 1, user: 'synapse', password: 'secret-pw', database: 'synapse' },
    });
    const run = await cli(['-c', config, '--json', 'list-admins']);
    expect(run.code).toBe(4);
    expect(run.json().error.message).toMatch(/Cannot connect to PostgreSQL at postgres synapse@127\.0\.0\.1:1\/synapse/);
    expect(run.stdout + run.stderr).not.toContain('secret-pw');
    const check = await cli(['-c', config, '--json', 'check']);
    expect(check.code).toBe(4);
    expect(check.json()).toMatchObject({ ok: false, connected: false, engine: 'postgres', synapse_running: false });
    expect(check.stdout + check.stderr).not.toContain('secret-pw');
  });
});
