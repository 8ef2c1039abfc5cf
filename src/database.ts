// Opening Synapse's database, running one transaction on it, and turning driver errors into
// messages a sysadmin can act on.
import { constants, readFileSync } from 'node:fs';
import { access, readFile, stat } from 'node:fs/promises';
import { Readable } from 'node:stream';
import type { ConnectionOptions } from 'node:tls';
import knexFactory, { type Knex } from 'knex';
import type { ClientConfig } from 'pg';
// pgpass's own entry point reads $PGPASSFILE from the process; its helper reads a stream we give it.
import pgpassHelper from 'pgpass/lib/helper.js';
import type { DatabaseSettings, PostgresConnection } from './config-types.js';
import { describeDatabase } from './database-settings.js';
import { dialectOf } from './dialect.js';
import { ConfigError, DatabaseError, ToolError } from './errors.js';
import { testPause } from './test-pause.js';

const SQLITE_BUSY_TIMEOUT_MS = 10_000;
const PG_CONNECT_TIMEOUT_MS = 10_000;
const PG_LOCK_TIMEOUT_MS = 10_000;
const PG_STATEMENT_TIMEOUT_MS = 60_000;

export type AccessMode = 'read' | 'write';

/** Opens the database, checks that it answers, runs `fn`, and always closes it again. */
export async function withDatabase<T>(
  settings: DatabaseSettings,
  mode: AccessMode,
  fn: (db: Knex) => Promise<T>,
): Promise<T> {
  const db = await open(settings, mode);
  try {
    return await fn(db);
  } catch (err) {
    throw translateError(err, settings);
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
  const dialect = dialectOf(db);
  // Does nothing unless the robustness script asks for it (src/test-pause.ts).
  const pause = testPause(env, !dryRun);
  switch (dialect) {
    case 'sqlite': {
      // The single in-process connection cannot drop halfway. IMMEDIATE takes the write lock up
      // front, so a concurrent writer makes us wait (busy_timeout) rather than fail midway.
      await db.raw('BEGIN IMMEDIATE');
      try {
        const result = await pause.during(db, fn);
        await db.raw(dryRun ? 'ROLLBACK' : 'COMMIT');
        pause.committed();
        return result;
      } catch (err) {
        await db.raw('ROLLBACK').catch(() => undefined);
        throw err;
      }
    }
    case 'postgres': {
      // A knex transaction pins its connection: if the connection drops, the statements after it
      // fail instead of running, and committing, outside the transaction.
      const trx = await db.transaction();
      try {
        const result = await pause.during(trx, fn);
        await (dryRun ? trx.rollback() : trx.commit());
        pause.committed();
        return result;
      } catch (err) {
        await trx.rollback().catch(() => undefined);
        throw err;
      }
    }
    default:
      return dialect satisfies never;
  }
}

async function open(settings: DatabaseSettings, mode: AccessMode): Promise<Knex> {
  if (settings.engine === 'sqlite') return checked(await openSqlite(settings.path, mode), settings);
  const c = settings.connection;
  const password = c.password ?? (await passwordFromPassfile(c));
  try {
    return await checked(connectPostgres(c, password, mode, sslFor(c)), settings);
  } catch (err) {
    if (!(prefersSslWithFallback(c) && err instanceof DatabaseError && err.cause !== undefined && isNoSslSupport(err.cause))) {
      throw err;
    }
    // libpq's default sslmode "prefer": try TLS first, then plain, as psycopg2 would.
    return checked(connectPostgres(c, password, mode, false), settings);
  }
}

/** Proves the connection works, or closes it and says why not. */
async function checked(db: Knex, settings: DatabaseSettings): Promise<Knex> {
  try {
    await db.raw('SELECT 1');
    return db;
  } catch (err) {
    await db.destroy();
    const translated = translateError(err, settings);
    if (translated instanceof DatabaseError) translated.cause = err;
    throw translated;
  }
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
    client: 'better-sqlite3',
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

function connectPostgres(c: PostgresConnection, password: string | undefined, mode: AccessMode, ssl: false | ConnectionOptions): Knex {
  const connectTimeoutMs = (c.connectTimeoutSeconds ?? PG_CONNECT_TIMEOUT_MS / 1000) * 1000;
  const connection: ClientConfig = {
    host: c.host,
    port: c.port,
    user: c.user,
    password,
    database: c.database,
    ssl,
    connectionTimeoutMillis: connectTimeoutMs,
    lock_timeout: PG_LOCK_TIMEOUT_MS,
    statement_timeout: PG_STATEMENT_TIMEOUT_MS,
    application_name: 'synapse-admin-bootstrap',
    // A command that only reads cannot write, whatever goes wrong.
    ...(mode === 'read' ? { options: '-c default_transaction_read_only=on' } : {}),
  };
  return knexFactory({
    client: 'pg',
    connection: connection as Knex.PgConnectionConfig,
    compileSqlOnError: false,
    pool: { min: 1, max: 1 },
    log: QUIET,
    acquireConnectionTimeout: connectTimeoutMs + 5_000,
  });
}

/** libpq's passfile setting (args.passfile or $PGPASSFILE); pg itself only reads ~/.pgpass. */
async function passwordFromPassfile(c: PostgresConnection): Promise<string | undefined> {
  if (c.passfile === undefined) return undefined;
  const content = await readFile(c.passfile).catch((err: NodeJS.ErrnoException) => {
    throw new ConfigError(`Cannot read the PostgreSQL passfile ${c.passfile} (${err.code}). Check passfile / $PGPASSFILE.`);
  });
  const connInfo = { host: c.host, port: String(c.port), database: c.database, user: c.user };
  return new Promise((resolve) => pgpassHelper.getPassword(connInfo, Readable.from([content]), resolve));
}

function isUnixSocket(c: PostgresConnection): boolean {
  return c.host?.startsWith('/') ?? false;
}

function prefersSslWithFallback(c: PostgresConnection): boolean {
  return !isUnixSocket(c) && (c.sslmode === undefined || c.sslmode === 'prefer' || c.sslmode === 'allow');
}

function readCertFile(path: string, key: string): Buffer {
  try {
    return readFileSync(path);
  } catch (err) {
    throw new ConfigError(
      `Cannot read ${key} ${path} (${(err as NodeJS.ErrnoException).code}) named in the PostgreSQL settings. Check the path.`,
    );
  }
}

/** libpq's sslmode, mapped onto Node's TLS options. */
function sslFor(c: PostgresConnection): false | ConnectionOptions {
  if (isUnixSocket(c) || c.sslmode === 'disable') return false;
  // Without `ca`, Node checks against its own CA store: that is what sslrootcert "system" asks for.
  const rootFile = c.sslrootcert !== undefined && c.sslrootcert !== 'system' ? c.sslrootcert : undefined;
  const files = {
    ...(rootFile ? { ca: readCertFile(rootFile, 'sslrootcert') } : {}),
    ...(c.sslcert ? { cert: readCertFile(c.sslcert, 'sslcert') } : {}),
    ...(c.sslkey ? { key: readCertFile(c.sslkey, 'sslkey') } : {}),
  };
  const chainOnly = { rejectUnauthorized: true, checkServerIdentity: () => undefined };
  switch (c.sslmode) {
    case 'verify-full':
      return { ...files, rejectUnauthorized: true };
    case 'verify-ca':
      return { ...files, ...chainOnly };
    default:
      // allow, prefer (the default) and require: libpq checks the chain, but not the name, exactly
      // when it has a root certificate file; otherwise it encrypts without checking anything.
      return rootFile ? { ...files, ...chainOnly } : { ...files, rejectUnauthorized: false };
  }
}

function isNoSslSupport(err: unknown): boolean {
  return err instanceof Error && /does not support SSL/i.test(err.message);
}

const PG_AUTH_CODES = new Set(['28P01', '28000']);
const UNREACHABLE_CODES = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EHOSTUNREACH', 'ETIMEDOUT', 'ENOENT', 'EAI_AGAIN', 'ECONNRESET']);

function translateError(err: unknown, settings: DatabaseSettings): unknown {
  if (err instanceof ToolError || !(err instanceof Error)) return err;
  const where = describeDatabase(settings);
  const code = (err as { code?: string }).code ?? '';
  if (code.startsWith('SQLITE_BUSY') || code === 'SQLITE_LOCKED') {
    return new DatabaseError(
      `The database ${where} stayed locked by another writer for over ${SQLITE_BUSY_TIMEOUT_MS / 1000}s. ` +
        'Nothing was changed. Try again, or stop Synapse first.',
      'database_busy',
    );
  }
  if (code === 'SQLITE_NOTADB' || code === 'SQLITE_CORRUPT') {
    return new DatabaseError(`${where} is not an SQLite database (or it is damaged). Check the path in the config.`);
  }
  if (code.startsWith('SQLITE_READONLY') || code === 'SQLITE_CANTOPEN') {
    return new DatabaseError(`Cannot write to ${where} (${code}). Run the tool as the user Synapse runs as, or as root.`);
  }
  if (code === '28000' && /pg_hba\.conf/.test(err.message)) {
    const hint = /no encryption/.test(err.message)
      ? 'It wants TLS for this connection: drop sslmode=disable, or set sslmode to require or verify-full.'
      : 'Connect as Synapse does (same host, user and sslmode), or allow this connection in pg_hba.conf.';
    return new DatabaseError(`PostgreSQL's pg_hba.conf does not let ${where} in: ${err.message}. ${hint}`, 'database_unreachable');
  }
  if (PG_AUTH_CODES.has(code)) {
    return new DatabaseError(
      `PostgreSQL refused the login for ${where}: ${err.message}. Check the user and password in the config's database args (or PGUSER/PGPASSWORD).`,
      'database_unreachable',
    );
  }
  if (code === '3D000') {
    return new DatabaseError(
      `PostgreSQL has no database as named in ${where}. Check dbname/database in the config.`,
      'database_unreachable',
    );
  }
  if (code === '55P03' || code === '57014') {
    return new DatabaseError(
      `PostgreSQL waited too long for a lock or a statement on ${where}. Nothing was changed. Try again, or stop Synapse first.`,
      'database_busy',
    );
  }
  if (UNREACHABLE_CODES.has(code) || (/timeout/i.test(err.message) && /connect|acquir/i.test(err.message))) {
    return new DatabaseError(
      `Cannot connect to PostgreSQL at ${where} (${code || 'timed out'}). Is the server running and reachable from here? ` +
        'Check host and port in the config, or pass --database-url.',
      'database_unreachable',
    );
  }
  if (/SSL|certificate/i.test(err.message)) {
    return new DatabaseError(
      `TLS to PostgreSQL at ${where} failed: ${err.message}. Check sslmode and the certificate settings.`,
      'database_unreachable',
    );
  }
  if (/Connection terminated|terminating connection/i.test(err.message)) {
    return new DatabaseError(
      `The connection to PostgreSQL at ${where} was lost: ${err.message}. Nothing was changed. Try again.`,
      'database_unreachable',
    );
  }
  return err;
}
