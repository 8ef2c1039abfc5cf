// Driver errors turned into messages a sysadmin can act on. What the server or the machine did
// (a standby, a missing grant, a full disk, a restart) is exit 4 with advice; only what points at
// a bug in this tool stays an internal error.
import { whatListensAt } from './address-probe.js';
import { describeDatabase, type DatabaseSettings } from './settings.js';
import { byDialect } from './dialect.js';
import { DatabaseError, ToolError } from '../errors.js';

export const SQLITE_BUSY_TIMEOUT_MS = 10_000;
export type AccessMode = 'read' | 'write';

const PG_AUTH_CODES = new Set(['28P01', '28000']);
const UNREACHABLE_CODES = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EHOSTUNREACH', 'ETIMEDOUT', 'ENOENT', 'EAI_AGAIN', 'ECONNRESET']);
const NOTHING_CHANGED = 'Nothing was changed.';

/**
 * Whose database a message is about. The same driver errors arise on Synapse's and on
 * matrix-authentication-service's database; only the names and where to fix them differ.
 */
export interface DatabaseOwner {
  /** The service that owns the tables: "Synapse", "MAS". */
  service: string;
  /** Where its database settings are written, e.g. "the config's database args". */
  settings: string;
  /** The option that overrides them. */
  urlOption: string;
  /** The service's own HTTP port, which people mistake for the database's. */
  httpPort: number;
  /** Where a password goes, besides PGPASSWORD and the passfile. */
  passwordSetting: string;
  /** A setting that names another passfile, when the service has one. */
  passfileSetting?: string;
}

export const SYNAPSE_DATABASE: DatabaseOwner = {
  service: 'Synapse',
  settings: "the config's database args",
  urlOption: '--database-url',
  httpPort: 8008,
  passwordSetting: 'database.args.password in the config',
  passfileSetting: 'database.args.passfile',
};

/**
 * Errors while connecting. When something at the address took the connection but did not
 * answer as PostgreSQL, look at what it is: the message then names it.
 */
export async function translateConnectError(
  err: unknown,
  settings: DatabaseSettings,
  mode: AccessMode,
  owner: DatabaseOwner = SYNAPSE_DATABASE,
): Promise<unknown> {
  if (settings.engine !== 'postgres' || !(err instanceof Error) || err instanceof ToolError) return translateError(err, settings, mode, owner);
  const symptom = notPostgresSymptom(err.message, settings.connection.connectTimeoutSeconds ?? 10);
  const { host, port = 5432 } = settings.connection;
  if (symptom === undefined || host === undefined || host.startsWith('/')) return translateError(err, settings, mode, owner);
  const there = await whatListensAt(host, port);
  return new DatabaseError(
    `Cannot talk to PostgreSQL at ${describeDatabase(settings)}: the connection ${symptom}. At ${host}:${port} there is ${there}. ` +
      `Check host and port in ${owner.settings} or ${owner.urlOption}: PostgreSQL listens on 5432 unless set otherwise, ` +
      `and ${owner.service}'s own HTTP port (${owner.httpPort}) is not it. If it is PostgreSQL, check that it is up and not overloaded.`,
    'database_unreachable',
  );
}

function notPostgresSymptom(message: string, timeoutSeconds: number): string | undefined {
  if (message === 'timeout expired') return `got no PostgreSQL answer within ${timeoutSeconds}s`;
  if (message === 'There was an error establishing an SSL connection') return 'got an answer to its TLS request that PostgreSQL never gives';
  if (message === 'Connection terminated unexpectedly') return "was closed before PostgreSQL's greeting";
  return undefined;
}

export function translateError(err: unknown, settings: DatabaseSettings, mode: AccessMode, owner: DatabaseOwner = SYNAPSE_DATABASE): unknown {
  if (err instanceof ToolError || !(err instanceof Error)) return err;
  const where = describeDatabase(settings);
  const code = (err as { code?: string }).code ?? '';
  const translate = byDialect(settings.engine, {
    sqlite: () => sqliteError(err, code, where),
    postgres: () => postgresError(err, code, where, settings, mode, owner),
  });
  return translate() ?? err;
}

function sqliteError(err: Error, code: string, where: string): DatabaseError | undefined {
  if (code.startsWith('SQLITE_BUSY') || code === 'SQLITE_LOCKED') {
    return new DatabaseError(
      `The database ${where} stayed locked by another writer for over ${SQLITE_BUSY_TIMEOUT_MS / 1000}s. ` +
        `${NOTHING_CHANGED} Try again, or stop Synapse first.`,
      'database_busy',
    );
  }
  if (code === 'SQLITE_NOTADB' || code === 'SQLITE_CORRUPT') {
    return new DatabaseError(`${where} is not an SQLite database (or it is damaged). Check the path in the config.`);
  }
  if (code.startsWith('SQLITE_READONLY') || code === 'SQLITE_CANTOPEN') {
    return new DatabaseError(`Cannot write to ${where} (${code}). Run the tool as the user Synapse runs as, or as root.`);
  }
  if (code === 'SQLITE_FULL' || code.startsWith('SQLITE_IOERR') || code === 'SQLITE_NOMEM') {
    return new DatabaseError(
      `${where} failed with ${code} (${err.message}): the disk is full, failing or out of memory. ${NOTHING_CHANGED} ` +
        'Free space (df -h on its directory), then retry.',
    );
  }
  return undefined;
}

function postgresError(
  err: Error,
  code: string,
  where: string,
  settings: DatabaseSettings,
  mode: AccessMode,
  owner: DatabaseOwner,
): DatabaseError | undefined {
  const user = settings.engine === 'postgres' ? (settings.connection.user ?? '') : '';
  if (code === '28000' && /pg_hba\.conf/.test(err.message)) {
    const hint = /no encryption/.test(err.message)
      ? 'It wants TLS for this connection: drop sslmode=disable, or set sslmode to require or verify-full.'
      : `Connect as ${owner.service} does (same host, user and sslmode), or allow this connection in pg_hba.conf.`;
    return new DatabaseError(`PostgreSQL's pg_hba.conf does not let ${where} in: ${err.message}. ${hint}`, 'database_unreachable');
  }
  // pgbouncer sends every refusal as 08P01, its own login checks and the server's alike.
  const pooled = code === '08P01' ? pgbouncerLoginCode(pgMessage(err)) : undefined;
  if (PG_AUTH_CODES.has(pooled ?? code)) {
    return new DatabaseError(
      `PostgreSQL refused the login for ${where}: ${err.message}. Check the user and password in ${owner.settings} (or PGUSER/PGPASSWORD)` +
        `${pooled ? "; through pgbouncer, its auth_file (or auth_query) must know them as well" : ''}.`,
      'database_unreachable',
    );
  }
  if ((pooled ?? code) === '3D000') {
    return new DatabaseError(
      `PostgreSQL has no database as named in ${where}${pooled ? ` (pgbouncer: ${pgMessage(err)})` : ''}. ` +
        `Check the database name in ${owner.settings} (or ${owner.urlOption})${pooled ? ", and pgbouncer's [databases] section" : ''}.`,
      'database_unreachable',
    );
  }
  if (code === '55P03' || code === '57014' || code === '40001' || code === '40P01' || code === '25P03') {
    return new DatabaseError(
      `PostgreSQL gave up waiting for a lock, a statement or another writer on ${where} (${code}: ${pgMessage(err)}). ` +
        `${NOTHING_CHANGED} Try again, or stop ${owner.service} first.`,
      'database_busy',
    );
  }
  // On a read-only session we set ourselves, a write is our bug; on a write session it is the server's.
  if (code === '25006' && mode === 'write') {
    return new DatabaseError(
      `PostgreSQL at ${where} is read-only: it is a standby (replica), or default_transaction_read_only is on for this database or user. ` +
        `${NOTHING_CHANGED} Point the tool at the primary server (host and port in ${owner.settings}, or ${owner.urlOption}).`,
      'database_read_only',
    );
  }
  if (code === '42501') return permissionDenied(err, where, user, mode, owner);
  if (code.startsWith('53')) {
    return new DatabaseError(
      `PostgreSQL at ${where} is out of resources (${code}: ${pgMessage(err)}). ${NOTHING_CHANGED} ` +
        'Free what it names (connections: max_connections; disk space; memory), then retry.',
      'database_unavailable',
    );
  }
  if (code.startsWith('57P') || code.startsWith('58')) {
    return new DatabaseError(
      `PostgreSQL at ${where} cannot serve this now (${code}: ${pgMessage(err)}). ${NOTHING_CHANGED} ` +
        'It is starting, shutting down, recovering or failing: check its log and retry when it is up.',
      'database_unavailable',
    );
  }
  const pooler = code === '08P01' ? poolerRefusal(err, where, owner) : undefined;
  if (pooler !== undefined) return pooler;
  if (code.startsWith('08')) {
    return new DatabaseError(
      `The connection to PostgreSQL at ${where} failed (${code}: ${pgMessage(err)}). ${NOTHING_CHANGED} Try again; check the server's log if it persists.`,
      'database_unreachable',
    );
  }
  if (UNREACHABLE_CODES.has(code) || (/timeout/i.test(err.message) && /connect|acquir/i.test(err.message))) {
    return new DatabaseError(
      `Cannot connect to PostgreSQL at ${where} (${code || 'timed out'}). Is the server running and reachable from here? ` +
        `Check host and port in ${owner.settings}, or pass ${owner.urlOption}.`,
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
      `The connection to PostgreSQL at ${where} was lost: ${err.message}. ${NOTHING_CHANGED} Try again.`,
      'database_unreachable',
    );
  }
  return undefined;
}

/**
 * pgbouncer answers what it will not pass on with 08P01 and its own message. Both refusals happen
 * before anything is written: the startup packet, or the BEGIN of the command's transaction.
 */
function poolerRefusal(err: Error, where: string, owner: DatabaseOwner): DatabaseError | undefined {
  const message = pgMessage(err);
  const parameter = /^unsupported startup parameter: (\S+)/.exec(message)?.[1];
  if (parameter === 'options') {
    return new DatabaseError(
      `A connection pooler (pgbouncer) at ${where} refused the connection: ${message}. The options come from ${owner.settings} ` +
        `(or ${owner.urlOption}, or PGOPTIONS), and pgbouncer does not pass them on to PostgreSQL. ${NOTHING_CHANGED} Remove the options ` +
        'and set them on the database user instead (ALTER ROLE ... SET search_path = ...), which works through any pooler; ' +
        "pgbouncer's ignore_startup_parameters = options lets the connection in but drops them, for the tool as for the service.",
      'database_unreachable',
    );
  }
  if (parameter !== undefined) {
    return new DatabaseError(
      `A connection pooler (pgbouncer) at ${where} refused the connection: ${message}. ${NOTHING_CHANGED} ` +
        `Add ${parameter} to ignore_startup_parameters in pgbouncer.ini, or connect to PostgreSQL directly.`,
      'database_unreachable',
    );
  }
  if (/statement pooling mode/.test(message)) {
    return new DatabaseError(
      `A connection pooler (pgbouncer) at ${where} runs in statement pooling mode (pool_mode = statement), which refuses ` +
        `transactions: ${message}. ${NOTHING_CHANGED} Each command of this tool is one transaction, and ${owner.service} needs ` +
        'transactions too: point the tool at a pool in transaction or session mode, or at PostgreSQL directly.',
      'database',
    );
  }
  return undefined;
}

/** The SQLSTATE PostgreSQL itself would have given for a login that pgbouncer refused as 08P01. */
function pgbouncerLoginCode(message: string): string | undefined {
  if (/authentication failed/.test(message)) return '28P01';
  if (/^(?:no such database: |database "[^"]*" does not exist)/.test(message)) return '3D000';
  return undefined;
}

function permissionDenied(err: Error, where: string, user: string, mode: AccessMode, owner: DatabaseOwner): DatabaseError {
  const object = /permission denied for (?:table|relation|sequence|schema|database|function) ("?[\w.$-]+"?)/i.exec(err.message)?.[0];
  const grant =
    mode === 'write'
      ? `GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA <schema> TO "${user}"`
      : `GRANT SELECT ON ALL TABLES IN SCHEMA <schema> TO "${user}"`;
  return new DatabaseError(
    `PostgreSQL user "${user}" may not ${mode === 'write' ? 'change' : 'read'} ${owner.service}'s tables at ${where}: ${object ?? pgMessage(err)}. ` +
      `${NOTHING_CHANGED} Connect as the user ${owner.service} itself uses (set in ${owner.settings}; usually the owner of its tables), ` +
      `or have the owner run ${grant}.`,
    'database_permission',
  );
}

/** The server's own message, without the SQL that knex puts in front of it. */
function pgMessage(err: Error): string {
  const own = (err as { message: string; routine?: string }).message;
  const dash = own.lastIndexOf(' - ');
  return dash >= 0 ? own.slice(dash + 3) : own;
}
