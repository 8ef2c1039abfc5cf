// Opening Synapse's database, running one transaction on it, and turning driver errors into
// messages a sysadmin can act on.
import { access, constants, readFileSync } from 'node:fs';
import { promisify } from 'node:util';
import knexFactory, { type Knex } from 'knex';
import type { ConnectionOptions } from 'node:tls';
import type { ClientConfig } from 'pg';
import type { DatabaseSettings, PostgresConnection } from './config-types.js';
import { describeDatabase } from './database-settings.js';
import { beginStatement, dialectOf } from './dialect.js';
import { DatabaseError, ToolError } from './errors.js';

const SQLITE_BUSY_TIMEOUT_MS = 10_000;
const PG_CONNECT_TIMEOUT_MS = 10_000;
const PG_LOCK_TIMEOUT_MS = 10_000;
const PG_STATEMENT_TIMEOUT_MS = 60_000;

/** Opens the database, checks that it answers, runs `fn`, and always closes it again. */
export async function withDatabase<T>(settings: DatabaseSettings, fn: (db: Knex) => Promise<T>): Promise<T> {
  const db = await open(settings);
  try {
    return await fn(db);
  } catch (err) {
    throw translateError(err, settings);
  } finally {
    await db.destroy();
  }
}

/**
 * One transaction for the whole command. A dry run takes the same path and rolls back, so it
 * cannot drift from the real thing. The pool holds a single connection, so every statement
 * issued through `db` inside `fn` belongs to this transaction.
 */
export async function inTransaction<T>(db: Knex, dryRun: boolean, fn: () => Promise<T>): Promise<T> {
  await db.raw(beginStatement(dialectOf(db)));
  let result: T;
  try {
    result = await fn();
  } catch (err) {
    await db.raw('ROLLBACK').catch(() => undefined);
    throw err;
  }
  await db.raw(dryRun ? 'ROLLBACK' : 'COMMIT');
  return result;
}

async function open(settings: DatabaseSettings): Promise<Knex> {
  const db = await connect(settings, settings.engine === 'postgres' ? sslFor(settings.connection) : false);
  try {
    await db.raw('SELECT 1');
    return db;
  } catch (err) {
    await db.destroy();
    if (settings.engine === 'postgres' && prefersSslWithFallback(settings.connection) && isNoSslSupport(err)) {
      // libpq's default sslmode "prefer": try TLS first, then plain, as psycopg2 would.
      const plain = await connect(settings, false);
      try {
        await plain.raw('SELECT 1');
        return plain;
      } catch (retryErr) {
        await plain.destroy();
        throw translateError(retryErr, settings);
      }
    }
    throw translateError(err, settings);
  }
}

// knex would print driver errors itself; ours are translated and printed once, by the CLI.
const QUIET = { warn() {}, error() {}, debug() {}, deprecate() {} };

async function connect(settings: DatabaseSettings, ssl: false | ConnectionOptions): Promise<Knex> {
  switch (settings.engine) {
    case 'sqlite':
      await promisify(access)(settings.path, constants.R_OK | constants.W_OK).catch((err: NodeJS.ErrnoException) => {
        throw new DatabaseError(
          err.code === 'ENOENT'
            ? `The SQLite database ${settings.path} does not exist. Check \`database.args.database\` in the config ` +
                '(a relative path is relative to the directory Synapse runs in), or pass --database-url.'
            : `Cannot open the SQLite database ${settings.path} for reading and writing (${err.code}). ` +
                'Run the tool as the user Synapse runs as, or as root.',
        );
      });
      return knexFactory({
        client: 'better-sqlite3',
        connection: { filename: settings.path },
        useNullAsDefault: true,
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
    case 'postgres': {
      const c = settings.connection;
      const connection: ClientConfig = {
          host: c.host,
          port: c.port,
          user: c.user,
          password: c.password,
          database: c.database,
          ssl,
          connectionTimeoutMillis: (c.connectTimeoutSeconds ?? PG_CONNECT_TIMEOUT_MS / 1000) * 1000,
          lock_timeout: PG_LOCK_TIMEOUT_MS,
          statement_timeout: PG_STATEMENT_TIMEOUT_MS,
          application_name: 'synapse-admin-bootstrap',
      };
      return knexFactory({
        client: 'pg',
        connection: connection as Knex.PgConnectionConfig,
        pool: { min: 1, max: 1 },
        log: QUIET,
        acquireConnectionTimeout: PG_CONNECT_TIMEOUT_MS + 5_000,
      });
    }
    default:
      return settings satisfies never;
  }
}

function isUnixSocket(c: PostgresConnection): boolean {
  return c.host?.startsWith('/') ?? false;
}

function prefersSslWithFallback(c: PostgresConnection): boolean {
  return !isUnixSocket(c) && (c.sslmode === undefined || c.sslmode === 'prefer' || c.sslmode === 'allow');
}

/** libpq's sslmode, mapped onto Node's TLS options. */
function sslFor(c: PostgresConnection): false | ConnectionOptions {
  if (isUnixSocket(c)) return false;
  const files = {
    ...(c.sslrootcert ? { ca: readFileSync(c.sslrootcert) } : {}),
    ...(c.sslcert ? { cert: readFileSync(c.sslcert) } : {}),
    ...(c.sslkey ? { key: readFileSync(c.sslkey) } : {}),
  };
  switch (c.sslmode ?? 'prefer') {
    case 'disable':
      return false;
    case 'allow':
    case 'prefer':
    case 'require':
      return { ...files, rejectUnauthorized: false };
    case 'verify-ca':
      return { ...files, rejectUnauthorized: true, checkServerIdentity: () => undefined };
    case 'verify-full':
      return { ...files, rejectUnauthorized: true };
    default:
      throw new DatabaseError(
        `Unknown sslmode "${c.sslmode}" in the PostgreSQL settings. Use one of disable, allow, prefer, require, verify-ca, verify-full.`,
      );
  }
}

function isNoSslSupport(err: unknown): boolean {
  return err instanceof Error && /does not support SSL/i.test(err.message);
}

const PG_AUTH_CODES = new Set(['28P01', '28000']);

export function translateError(err: unknown, settings: DatabaseSettings): unknown {
  if (err instanceof ToolError || !(err instanceof Error)) return err;
  const where = describeDatabase(settings);
  const code = (err as { code?: string }).code ?? '';
  if (code === 'SQLITE_BUSY' || code.startsWith('SQLITE_BUSY') || code === 'SQLITE_LOCKED') {
    return new DatabaseError(
      `The database ${where} stayed locked by another writer for over ${SQLITE_BUSY_TIMEOUT_MS / 1000}s. ` +
        'Nothing was changed. Try again, or stop Synapse first.',
    );
  }
  if (code === 'SQLITE_NOTADB' || code === 'SQLITE_CORRUPT') {
    return new DatabaseError(`${where} is not an SQLite database (or it is damaged). Check the path in the config.`);
  }
  if (code === 'SQLITE_READONLY' || code === 'SQLITE_CANTOPEN') {
    return new DatabaseError(`Cannot write to ${where} (${code}). Run the tool as the user Synapse runs as, or as root.`);
  }
  if (PG_AUTH_CODES.has(code)) {
    return new DatabaseError(
      `PostgreSQL refused the login for ${where}: ${err.message}. Check the user and password in the config's database args (or PGUSER/PGPASSWORD).`,
    );
  }
  if (code === '3D000') {
    return new DatabaseError(`PostgreSQL has no database as named in ${where}. Check dbname/database in the config.`);
  }
  if (code === '55P03' || code === '57014') {
    return new DatabaseError(
      `PostgreSQL waited too long for a lock or a statement on ${where}. Nothing was changed. Try again, or stop Synapse first.`,
    );
  }
  if (['ECONNREFUSED', 'ENOTFOUND', 'EHOSTUNREACH', 'ETIMEDOUT', 'ENOENT', 'EAI_AGAIN', 'ECONNRESET'].includes(code)) {
    return new DatabaseError(
      `Cannot connect to PostgreSQL at ${where} (${code}). Is the server running and reachable from here? ` +
        'Check host and port in the config, or pass --database-url.',
    );
  }
  if (/timeout/i.test(err.message) && /connect|acquir/i.test(err.message)) {
    return new DatabaseError(
      `Timed out connecting to ${where}. Is the server running and reachable from here? Check host and port, or pass --database-url.`,
    );
  }
  if (/SSL|certificate/i.test(err.message)) {
    return new DatabaseError(`TLS to PostgreSQL at ${where} failed: ${err.message}. Check sslmode and the certificate settings.`);
  }
  return err;
}
