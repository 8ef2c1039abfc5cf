// Opening Synapse's database, running one transaction on it, and turning driver errors into
// messages a sysadmin can act on.
import { constants } from 'node:fs';
import { access, stat } from 'node:fs/promises';
import type { ConnectionOptions } from 'node:tls';
import type { Knex } from 'knex';
import type { Client, ClientConfig } from 'pg';
import type { PostgresConnection } from '../libpq/settings.js';
import { describeDatabase, type DatabaseSettings } from './settings.js';
import { DEFAULT_PG_SOCKET_DIR } from '../libpq/settings.js';
import { isNoSslSupport, prefersSslWithFallback, sslFor } from '../libpq/tls.js';
import {
  SQLITE_BUSY_TIMEOUT_MS,
  SYNAPSE_DATABASE,
  translateConnectError,
  translateError,
  type AccessMode,
  type DatabaseOwner,
} from './errors.js';
import { KNEX_CLIENT, reading, transaction } from './dialect.js';
import { ConfigError, DatabaseError } from '../errors.js';
import { passwordFromPassfile } from '../libpq/passfile.js';
import { testPause } from './test-pause.js';

const PG_CONNECT_TIMEOUT_MS = 10_000;

export type { AccessMode, DatabaseOwner };

/**
 * Opens the database, checks that it answers, runs `fn`, and always closes it again. `owner`
 * names whose database it is in error messages (Synapse's unless said otherwise). With `read`,
 * `fn` runs where it cannot write (see reading()); with `write`, `fn` puts its statements in
 * inTransaction() or inSessionTransaction().
 */
export async function withDatabase<T>(
  settings: DatabaseSettings,
  mode: AccessMode,
  fn: (db: Knex) => Promise<T>,
  owner: DatabaseOwner = SYNAPSE_DATABASE,
): Promise<T> {
  const db = await open(settings, mode, owner);
  try {
    return await (mode === 'read' ? reading(db, fn) : fn(db));
  } catch (err) {
    throw translateError(err, settings, mode, owner);
  } finally {
    await db.destroy();
  }
}

/**
 * One transaction for the whole command; `fn` must issue every statement through the handle it
 * is given. A dry run takes the same path and rolls back, so it cannot drift from the real thing.
 */
export async function inTransaction<T>(
  db: Knex,
  dryRun: boolean,
  fn: (trx: Knex) => Promise<T>,
  env: NodeJS.ProcessEnv = {},
): Promise<T> {
  // Does nothing unless the robustness script asks for it (src/database/test-pause.ts).
  const pause = testPause(env, !dryRun);
  const result = await transaction(db, dryRun, (trx) => pause.during(trx, fn));
  pause.committed();
  return result;
}

/**
 * All of a session's statements in one transaction, so that each gets the time limits (and a read
 * the read-only guard) also behind a connection pooler: the command's transaction when it writes,
 * rolled back on a dry run; else one that cannot write.
 */
export function inSessionTransaction<T>(
  db: Knex,
  opts: { transaction: boolean; dryRun: boolean; env: NodeJS.ProcessEnv },
  fn: (trx: Knex) => Promise<T>,
): Promise<T> {
  return opts.transaction ? inTransaction(db, opts.dryRun, fn, opts.env) : reading(db, fn);
}

function open(settings: DatabaseSettings, mode: AccessMode, owner: DatabaseOwner): Promise<Knex> {
  switch (settings.engine) {
    case 'sqlite':
      return openSqlite(settings.path, mode).then((db) => checked(db, settings, mode, owner));
    case 'postgres':
      return openPostgres(settings, settings.connection, mode, owner);
    default:
      return settings satisfies never;
  }
}

async function openPostgres(settings: DatabaseSettings, c: PostgresConnection, mode: AccessMode, owner: DatabaseOwner): Promise<Knex> {
  const password = passwordSource(settings, c, owner);
  try {
    return await checked(await connectPostgres(c, password, sslFor(c)), settings, mode, owner);
  } catch (err) {
    if (!(prefersSslWithFallback(c) && err instanceof DatabaseError && err.cause !== undefined && isNoSslSupport(err.cause))) {
      throw err;
    }
    // libpq's default sslmode "prefer": try TLS first, then plain, as psycopg2 would.
    return checked(await connectPostgres(c, password, false), settings, mode, owner);
  }
}

/** Proves the connection works, or closes it and says why not. */
async function checked(db: Knex, settings: DatabaseSettings, mode: AccessMode, owner: DatabaseOwner): Promise<Knex> {
  try {
    await db.raw('SELECT 1');
    return db;
  } catch (err) {
    await db.destroy();
    const translated = await translateConnectError(err, settings, mode, owner);
    if (translated instanceof DatabaseError) translated.cause = err;
    throw translated;
  }
}

/** knex is loaded by the commands that open a database, not by --help or a usage error. */
async function knexFactory(config: Knex.Config): Promise<Knex> {
  const { default: knex } = await import('knex');
  return knex(config);
}

// knex would print driver errors itself; ours are translated and printed once, by the CLI.
const QUIET = { warn() {}, error() {}, debug() {}, deprecate() {} };

async function openSqlite(path: string, mode: AccessMode): Promise<Knex> {
  // better-sqlite3 creates a missing file; a Synapse database that is not there must stay not there.
  const kind = await stat(path).then(
    (s) => (s.isFile() ? 'file' : 'not a file'),
    (err: NodeJS.ErrnoException) => err.code,
  );
  if (kind !== 'file') {
    throw new DatabaseError(
      kind === 'ENOENT'
        ? `The SQLite database ${path} does not exist. Check the path (database.args.database in the config, where a ` +
            'relative path is relative to the directory Synapse runs in, or --database-url).'
        : `The SQLite database ${path} cannot be opened (${kind}). Check the path in the config or --database-url.`,
      'database_unreachable',
    );
  }
  await access(path, mode === 'write' ? constants.R_OK | constants.W_OK : constants.R_OK).catch((err: NodeJS.ErrnoException) => {
    throw new DatabaseError(
      `Cannot open the SQLite database ${path} for ${mode === 'write' ? 'writing' : 'reading'} (${err.code}). ` +
        'Run the tool as the user Synapse runs as, or as root.',
      'database_unreachable',
    );
  });
  return knexFactory({
    client: KNEX_CLIENT.sqlite,
    connection: { filename: path },
    useNullAsDefault: true,
    // Error messages must not carry the values (a password hash, a token) inlined into the SQL.
    compileSqlOnError: false,
    log: QUIET,
    pool: {
      min: 1,
      max: 1,
      afterCreate: (conn: { pragma(s: string): unknown }, done: (err: Error | null, conn: unknown) => void) => {
        conn.pragma(`busy_timeout = ${SQLITE_BUSY_TIMEOUT_MS}`);
        // As Synapse opens it: deleting a refresh token must cascade to its access tokens.
        conn.pragma('foreign_keys = ON');
        done(null, conn);
      },
    },
  });
}

type PasswordSource = (this: Client) => Promise<string>;

function connectPostgres(c: PostgresConnection, password: PasswordSource, ssl: false | ConnectionOptions): Promise<Knex> {
  const connectTimeoutMs = (c.connectTimeoutSeconds ?? PG_CONNECT_TIMEOUT_MS / 1000) * 1000;
  // Nothing of ours in the startup packet beyond what every pooler passes on: the time limits and
  // the read-only guard are set in each transaction (dialect.ts), where pgbouncer keeps them.
  const connection: ClientConfig = {
    host: c.host,
    port: c.port,
    user: c.user,
    password,
    database: c.database,
    ssl,
    connectionTimeoutMillis: connectTimeoutMs,
    application_name: 'synapse-admin-bootstrap',
    // As libpq sends it: "-c search_path=matrix" is how deployments keep Synapse's tables outside
    // public. A pooler may refuse it; then the error names the setting (errors.ts).
    ...(c.options ? { options: c.options } : {}),
  };
  return knexFactory({
    client: KNEX_CLIENT.postgres,
    connection: connection as Knex.PgConnectionConfig,
    compileSqlOnError: false,
    pool: { min: 1, max: 1 },
    log: QUIET,
    acquireConnectionTimeout: connectTimeoutMs + 5_000,
  });
}

/**
 * pg calls this only when the server asks for a password, so trust and peer logins never need
 * one. The config (or PGPASSWORD) first, then the passfile, as libpq. With none, we fail at once:
 * pg would send nothing and wait for the server's authentication timeout.
 */
function passwordSource(settings: DatabaseSettings, c: PostgresConnection, owner: DatabaseOwner): PasswordSource {
  return async function (this: Client) {
    if (c.password !== undefined) return c.password;
    const query = { host: c.host ?? '', port: c.port ?? 5432, database: c.database ?? '', user: c.user ?? '' };
    const fromFile = c.passfile === undefined ? undefined : await passwordFromPassfile(c.passfile, query, DEFAULT_PG_SOCKET_DIR);
    if (fromFile?.found) return fromFile.password;
    // pg leaves the socket open after a failed password callback; the server would hold it for a minute.
    this.connection.stream.destroy();
    throw new ConfigError(
      `PostgreSQL at ${describeDatabase(settings)} asks for a password, and none is given. Set ${owner.passwordSetting}, ` +
        `or PGPASSWORD, or add a line to libpq's passfile (~/.pgpass, or the file named by PGPASSFILE${owner.passfileSetting ? ` or ${owner.passfileSetting}` : ''})` +
        `${fromFile ? `; ${fromFile.reason}` : ''}. Or run the tool as the user ${owner.service} logs in as, over the unix socket, if pg_hba.conf allows peer login.`,
    );
  };
}
