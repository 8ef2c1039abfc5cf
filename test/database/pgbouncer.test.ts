// The tool behind a real pgbouncer, as Synapse (and MAS) run behind one: every command in
// transaction pooling, with and without the usual ignore_startup_parameters, and in session
// pooling; the time limits and the read-only guard holding there as on a direct connection; copies
// racing through the pooler; and clear refusals of what a pooler cannot carry (statement pooling,
// startup options) or will not let in (a wrong password, an unknown database).
import { writeFileSync } from 'node:fs';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { inTransaction, withDatabase } from '../../src/database/connection.js';
import type { DatabaseSettings } from '../../src/database/settings.js';
import { DEFAULT_PG_PORT, DEFAULT_PG_SOCKET_DIR, type PostgresConnection } from '../../src/libpq/settings.js';
import { freshDatabase, postgresConnection, synapseDatabaseConfig, writeHomeserverYaml, type FreshDatabase } from '../helpers/databases.js';
import { pgbouncerBinary, startPgbouncer, type Pgbouncer, type PgbouncerOptions } from '../helpers/pgbouncer.js';
import { masWorld, seedWorker } from '../helpers/mas-world.js';
import { cli } from '../helpers/run-cli.js';
import { seedUser, snapshot } from '../helpers/seed.js';
import { tempDir } from '../helpers/temp-tree.js';

const binary = pgbouncerBinary();
if (binary === undefined) {
  console.warn('test/database/pgbouncer.test.ts: SKIPPED, no pgbouncer binary on this machine (apt-get install pgbouncer; scripts/e2e/install-deps.sh installs it for CI)');
}

const HS = 'example.test';
const POOLS = [
  { name: 'transaction pooling, no ignore list', poolMode: 'transaction', ignoreStartupParameters: undefined },
  {
    name: 'transaction pooling, ignore_startup_parameters = extra_float_digits,options',
    poolMode: 'transaction',
    ignoreStartupParameters: 'extra_float_digits,options',
  },
  // What people add when a client sends these: pgbouncer then drops them without a word.
  {
    name: 'transaction pooling, also ignoring statement_timeout,lock_timeout',
    poolMode: 'transaction',
    ignoreStartupParameters: 'extra_float_digits,options,statement_timeout,lock_timeout',
  },
  { name: 'session pooling, no ignore list', poolMode: 'session', ignoreStartupParameters: undefined },
] as const;

/** The same database, reached through the pooler. */
function through(pool: Pgbouncer, settings: DatabaseSettings, extra: Partial<PostgresConnection> = {}): DatabaseSettings {
  return { engine: 'postgres', connection: { ...postgresConnection(settings), host: pool.host, port: pool.port, ...extra } };
}

/** The same, as a postgresql:// URL for --database-url and --mas-database-url. */
function urlThrough(pool: Pgbouncer, settings: DatabaseSettings): string {
  const { user, password, database } = postgresConnection(settings);
  return `postgresql://${encodeURIComponent(user!)}:${encodeURIComponent(password!)}@${pool.host}:${pool.port}/${encodeURIComponent(database!)}`;
}

async function homeserver(database: DatabaseSettings, dir = tempDir('sab-pgbouncer-hs-')): Promise<string> {
  const options = database.engine === 'postgres' ? database.connection.options : undefined;
  const section = synapseDatabaseConfig(database) as { name: string; args: Record<string, unknown> };
  return writeHomeserverYaml(dir, {
    serverName: HS,
    database,
    extra: {
      listeners: [],
      bcrypt_rounds: 4,
      report_stats: false,
      ...(options === undefined ? {} : { database: { ...section, args: { ...section.args, options } } }),
    },
  });
}

/** Another connection holds a row lock on every user until the returned release() is called. */
async function holdUsersLocked(db: FreshDatabase): Promise<{ release(): Promise<void> }> {
  let locked!: () => void;
  let release!: () => void;
  const isLocked = new Promise<void>((r) => (locked = r));
  const released = new Promise<void>((r) => (release = r));
  const done = db.knex.transaction(async (trx) => {
    await trx.raw('SELECT * FROM users FOR UPDATE');
    locked();
    await released;
  });
  await isLocked;
  return {
    release: async () => {
      release();
      await done;
    },
  };
}

type Outcome = { code: number; kind?: string; seconds: number };

/**
 * `promote` of a user whose row another transaction holds, once directly and once through each
 * pool, all at once; past the bound the holder lets go, so a run that ignored it would succeed.
 */
async function promotesBehindRowLock(routes: Record<string, DatabaseSettings>, db: FreshDatabase): Promise<Record<string, Outcome>> {
  const dir = await mkdtemp(join(tmpdir(), 'sab-pgbouncer-lock-'));
  try {
    // One user each: waiting behind another waiter's row lock would be a second wait, with its own lock_timeout.
    const users = Object.keys(routes).map((_, i) => `user${i}`);
    for (const user of users) await seedUser(db.knex, { name: `@${user}:example.test` });
    const configs = await Promise.all(
      Object.values(routes).map(async (settings, i) => {
        const home = join(dir, String(i));
        await mkdir(home);
        return homeserver(settings, home);
      }),
    );
    const lock = await holdUsersLocked(db);
    const timed = async (config: string, i: number): Promise<Outcome> => {
      const started = Date.now();
      const run = await cli(['-c', config, '--json', 'promote', users[i]!]);
      return { code: run.code, kind: run.code === 0 ? undefined : run.json().error.kind, seconds: (Date.now() - started) / 1000 };
    };
    const letGo = setTimeout(() => void lock.release(), 16_000);
    const outcomes = await Promise.all(configs.map(timed));
    clearTimeout(letGo);
    await lock.release();
    return Object.fromEntries(Object.keys(routes).map((route, i) => [route, outcomes[i]!]));
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

describe.skipIf(binary === undefined)('behind pgbouncer', () => {
  const pools: Pgbouncer[] = [];
  let db: FreshDatabase;
  const start = async (opts: Omit<PgbouncerOptions, 'upstream' | 'user' | 'password'>) => {
    const { host, port, user, password } = postgresConnection(db.settings);
    const pool = await startPgbouncer(binary!, { upstream: { host: host ?? DEFAULT_PG_SOCKET_DIR, port: port ?? DEFAULT_PG_PORT }, user: user!, password: password!, ...opts });
    pools.push(pool);
    return pool;
  };

  // The lock wait takes its 10 s in the background while the other tests run; its test, the last,
  // awaits it.
  let lockDb: FreshDatabase | undefined;
  let lockWait: Promise<Record<string, Outcome>>;

  beforeAll(async () => {
    db = await freshDatabase('postgres');
    lockDb = await freshDatabase('postgres');
    const routes: Record<string, DatabaseSettings> = { direct: lockDb.settings };
    for (const { name, poolMode, ignoreStartupParameters } of POOLS) {
      routes[`pgbouncer, ${name}`] = through(await start({ poolMode, ignoreStartupParameters }), lockDb.settings);
    }
    lockWait = promotesBehindRowLock(routes, lockDb);
    lockWait.catch(() => {});
  });
  afterAll(async () => {
    await lockWait?.catch(() => {});
    await Promise.all(pools.map((p) => p.stop()));
    await db?.cleanup();
    await lockDb?.cleanup();
  });

  describe.each(POOLS)('in $name', ({ poolMode, ignoreStartupParameters }) => {
    let pool: Pgbouncer;
    let fresh: FreshDatabase;
    let config: string;
    beforeAll(async () => {
      pool = await start({ poolMode, ignoreStartupParameters });
    });
    const fresher = async () => {
      fresh = await freshDatabase('postgres');
      config = await homeserver(through(pool, fresh.settings));
      return fresh;
    };
    const run = (args: string[], input?: string) => cli(['-c', config, '--json', ...args], { input });

    it('every command works', async () => {
      await fresher();
      try {
        const ok = async (args: string[], input?: string) => {
          const result = await run(args, input);
          expect(result.code, `${args.join(' ')}: ${result.stdout}${result.stderr}\n${pool.log()}`).toBe(0);
          return result.json();
        };
        await ok(['register', 'alice', '--admin', '--password-stdin'], 'alice-long-password');
        await ok(['register', 'bob', '--no-admin', '--password-stdin'], 'bob-long-password');
        await ok(['promote', 'bob']);
        expect(Number((await fresh.knex('users').where({ name: '@bob:example.test' }).first('admin')).admin)).toBe(1);
        await ok(['demote', 'bob']);
        expect(Number((await fresh.knex('users').where({ name: '@bob:example.test' }).first('admin')).admin)).toBe(0);
        await ok(['set-password', 'bob', '--password-stdin'], 'bob-other-long-password');
        await fresh.knex('users').where({ name: '@bob:example.test' }).update({ locked: true });
        await ok(['unlock', 'bob']);
        expect((await fresh.knex('users').where({ name: '@bob:example.test' }).first('locked')).locked).toBe(false);
        const token = await ok(['issue-token', 'alice']);
        expect(await fresh.knex('access_tokens').where({ token: token.access_token }).first('user_id')).toEqual({ user_id: '@alice:example.test' });
        expect(JSON.stringify(await ok(['list-admins']))).toContain('@alice:example.test');
        expect(await ok(['check'])).toMatchObject({ connected: true, usable_admins: 1 });
        const file = join(tempDir('sab-pgbouncer-apply-'), 'users.yaml');
        writeFileSync(file, 'users:\n  - {user: carol, admin: true, random_password: true}\n');
        expect(await ok(['apply', file])).toMatchObject({ created: 1 });
        expect(await fresh.knex('users').where({ name: '@carol:example.test' }).first('admin')).toEqual({ admin: 1 });
      } finally {
        await fresh.cleanup();
      }
    });

    it('sets the time limits inside the transaction', async () => {
      const limits = await withDatabase(through(pool, db.settings), 'write', (handle) =>
        inTransaction(handle, true, async (trx) => (await trx.raw("SELECT current_setting('lock_timeout') AS lock, current_setting('statement_timeout') AS statement")).rows[0]),
      );
      expect(limits).toEqual({ lock: '10s', statement: '1min' });
    });

    it('a read cannot write', async () => {
      const before = await snapshot(db.knex);
      const write = withDatabase(through(pool, db.settings), 'read', (handle) => handle('users').insert({ name: '@mallory:example.test', creation_ts: 1, admin: 1, is_guest: 0 }));
      await expect(write).rejects.toThrow(/read-only transaction/);
      expect(await snapshot(db.knex)).toEqual(before);
    });
  });

  it("MAS's database behind the same pgbouncer: its commands work in transaction pooling", async () => {
    const pool = await start({ poolMode: 'transaction' });
    const world = await masWorld();
    try {
      await seedWorker(world.mas);
      const urls = ['--database-url', urlThrough(pool, world.synapseSettings), '--mas-database-url', urlThrough(pool, world.masSettings)];
      for (const [args, input] of [
        [['register', 'bob', '--admin', '--password-stdin'], 'bob-long-password-1'],
        [['demote', 'bob']],
        [['promote', 'bob']],
        [['set-password', 'bob', '--password-stdin'], 'bob-long-password-2'],
        [['issue-token', 'bob']],
        [['list-admins']],
        [['check']],
      ] as [string[], string?][]) {
        const run = await world.run([...urls, '--json', ...args], input);
        expect(run.code, `${args.join(' ')}: ${run.stdout}${run.stderr}`).toBe(0);
      }
      expect(await world.mas('users').where({ username: 'bob' }).first('can_request_admin')).toEqual({ can_request_admin: true });
    } finally {
      await world.cleanup();
    }
  });

  // Twenty racers on four server connections: each transaction lands on whichever is free.
  it('ten register --exists-ok and ten issue-token at once through transaction pooling are all correct', async () => {
    const pool = await start({ poolMode: 'transaction', poolSize: 4 });
    const fresh = await freshDatabase('postgres');
    const config = await homeserver(through(pool, fresh.settings));
    const run = (args: string[], input?: string) => cli(['-c', config, '--json', ...args], { input });
    try {
      await seedUser(fresh.knex, { name: '@alice:example.test', admin: true });
      const runs = await Promise.all([
        ...Array.from({ length: 10 }, () => run(['register', 'dave', '--exists-ok', '--admin', '--password-stdin'], 'dave-long-password')),
        ...Array.from({ length: 10 }, () => run(['issue-token', 'alice'])),
      ]);
      expect(runs.filter((r) => r.code !== 0).map((r) => r.stdout + r.stderr)).toEqual([]);
      const registers = runs.slice(0, 10).map((r) => r.json());
      expect(registers.filter((j) => j.created)).toHaveLength(1);
      expect(await fresh.knex('users').where({ name: '@dave:example.test' }).select('admin')).toEqual([{ admin: 1 }]);
      const tokens = runs.slice(10).map((r) => r.json().access_token);
      expect(new Set(tokens).size).toBe(10);
      const rows = await fresh.knex('access_tokens').where({ user_id: '@alice:example.test' }).select('id', 'token');
      expect(rows).toHaveLength(10);
      expect(new Set(rows.map((r) => String(r.id))).size).toBe(10);
      expect(new Set(rows.map((r) => r.token))).toEqual(new Set(tokens));
    } finally {
      await fresh.cleanup();
    }
  });

  it('statement pooling is refused as unsupported, exit 4, nothing changed', async () => {
    const pool = await start({ poolMode: 'statement', ignoreStartupParameters: 'extra_float_digits,options' });
    await seedUser(db.knex, { name: '@erin:example.test' });
    const before = await snapshot(db.knex);
    const config = await homeserver(through(pool, db.settings));
    for (const args of [['promote', 'erin'], ['list-admins']]) {
      const run = await cli(['-c', config, '--json', ...args]);
      expect(run.code, run.stdout + run.stderr).toBe(4);
      expect(run.json().error.message).toMatch(/statement pooling mode \(pool_mode = statement\).*Nothing was changed.*transaction or session mode/);
    }
    expect(await snapshot(db.knex)).toEqual(before);
  });

  it("pgbouncer's refusal of a wrong password or an unknown database is said as PostgreSQL's would be, not as 'try again'", async () => {
    const pool = await start({ poolMode: 'transaction' });
    const wrong = await cli(['-c', await homeserver(through(pool, db.settings, { password: 'Wr0ng-Password-Value' })), '--json', 'list-admins']);
    expect(wrong.code, wrong.stdout + wrong.stderr).toBe(4);
    expect(wrong.json().error.message).toMatch(/refused the login.*authentication failed.*auth_file/);
    expect(wrong.stdout + wrong.stderr).not.toContain('Wr0ng-Password-Value');
    const missing = await cli(['-c', await homeserver(through(pool, db.settings, { database: 'sab_no_such_database' })), '--json', 'list-admins']);
    expect(missing.code, missing.stdout + missing.stderr).toBe(4);
    expect(missing.json().error.message).toMatch(/no database as named.*sab_no_such_database.*\[databases\]/);
  });

  it('options that pgbouncer refuses are named, with where they come from and what to do instead', async () => {
    const pool = await start({ poolMode: 'transaction' });
    const config = await homeserver(through(pool, db.settings, { options: '-c search_path=public' }));
    const run = await cli(['-c', config, '--json', 'list-admins']);
    expect(run.code, run.stdout + run.stderr).toBe(4);
    expect(run.json().error).toMatchObject({ kind: 'database_unreachable' });
    expect(run.json().error.message).toMatch(/pgbouncer.*unsupported startup parameter: options.*database args.*ALTER ROLE/);
  });

  it('a promote behind a row lock stops after the same 10 s through pgbouncer as directly, exit 4, nothing changed', async () => {
    const byRoute = await lockWait;
    for (const outcome of Object.values(byRoute)) {
      expect(outcome, JSON.stringify(byRoute)).toMatchObject({ code: 4, kind: 'database_busy' });
      expect(outcome.seconds, JSON.stringify(byRoute)).toBeGreaterThanOrEqual(9.5);
      expect(outcome.seconds, JSON.stringify(byRoute)).toBeLessThan(15);
    }
    expect(await lockDb!.knex('users').where({ admin: 1 }).select('name')).toEqual([]);
  }, 60_000);
});
