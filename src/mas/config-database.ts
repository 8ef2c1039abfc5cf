// MAS's `database` section (crates/config/src/sections/database.rs, applied by
// crates/cli/src/util.rs) and --mas-database-url, turned into libpq-style settings. MAS connects
// with sqlx-postgres 0.8, which follows libpq's rules (src/libpq/) with the few differences that
// sqlxDifferences() applies, all in one place.
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { ConfigError, UsageError } from '../errors.js';
import { isPem } from '../libpq/tls.js';
import { libpqConnection, paramsFromUrl, type LibpqContext, type PostgresConnection } from '../libpq/settings.js';
import { entry, integer, mapping, text, type ConfigNode } from './config-files.js';

export interface SqlxContext extends LibpqContext {
  /** Where sqlx looks for a server socket when no host is given; tests pass their own. */
  socketDirs?: readonly string[];
}

export interface MasDatabase {
  connection: PostgresConnection;
  /** The file that set the database, "--mas-database-url", or MAS's default. */
  source: string;
  warnings: string[];
}

// sqlx-postgres 0.8.6 src/options/mod.rs default_host(): Debian's, Homebrew's, then the usual one.
const SQLX_SOCKET_DIRS = ['/var/run/postgresql', '/private/tmp', '/tmp'];
const SSL_MODES = ['disable', 'allow', 'prefer', 'require', 'verify-ca', 'verify-full'];
const SPLIT_KEYS = ['host', 'port', 'socket', 'username', 'password', 'password_file', 'database'] as const;
const TLS_KEYS = ['ssl_mode', 'ssl_ca', 'ssl_ca_file', 'ssl_certificate', 'ssl_certificate_file', 'ssl_key', 'ssl_key_file'];
/** Pool settings: they change nothing about where MAS connects. */
const POOL_KEYS = ['max_connections', 'min_connections', 'connect_timeout', 'idle_timeout', 'max_lifetime'];
const KNOWN = new Set<string>(['uri', ...SPLIT_KEYS, ...TLS_KEYS, ...POOL_KEYS]);

/**
 * What sqlx-postgres 0.8 does differently from libpq, and nothing else:
 * - PGHOSTADDR, when set, is the host (sqlx reads it before PGHOST);
 * - without either, the host is the first of its socket directories that holds the server's
 *   socket for PGPORT (an unparsable PGPORT counts as 5432), else "localhost", where libpq
 *   uses its compiled-in socket directory;
 * - PGCONNECT_TIMEOUT is not read (MAS has database.connect_timeout for its pool);
 * - PGSSLROOTCERT/PGSSLCERT/PGSSLKEY may hold PEM text instead of a file name;
 * - an `options` URL parameter is added to PGOPTIONS, not put in its place.
 * (sqlx also falls back to ~/.pgpass when PGPASSFILE has no match, and in the split form looks
 * the .pgpass password up before the config's host and user are applied: not modelled.)
 */
function sqlxDifferences(params: Record<string, string>, ctx: SqlxContext): { env: NodeJS.ProcessEnv; pem: Partial<PostgresConnection> } {
  const env = { ...ctx.env };
  const envPort = Number(env.PGPORT);
  const port = Number.isInteger(envPort) && envPort > 0 && envPort < 65536 ? envPort : 5432;
  env.PGHOST = env.PGHOSTADDR || env.PGHOST || defaultHost(port, ctx.socketDirs ?? SQLX_SOCKET_DIRS);
  delete env.PGHOSTADDR;
  delete env.PGCONNECT_TIMEOUT;
  if (params.options !== undefined && env.PGOPTIONS) params.options = `${env.PGOPTIONS} ${params.options}`;
  const pem: Partial<PostgresConnection> = {};
  for (const [key, variable] of [['sslrootcert', 'PGSSLROOTCERT'], ['sslcert', 'PGSSLCERT'], ['sslkey', 'PGSSLKEY']] as const) {
    const value = env[variable];
    if (value !== undefined && isPem(value)) {
      delete env[variable];
      if (params[key] === undefined) pem[key] = value;
    }
  }
  return { env, pem };
}

function defaultHost(port: number, dirs: readonly string[]): string {
  return dirs.find((dir) => existsSync(join(dir, `.s.PGSQL.${port}`))) ?? 'localhost';
}

/** sqlx's own spellings of the URL parameters, as libpq names them. */
const SQLX_URL_ALIASES: Record<string, string> = {
  'ssl-mode': 'sslmode',
  'ssl-root-cert': 'sslrootcert',
  'ssl-ca': 'sslrootcert',
  'ssl-cert': 'sslcert',
  'ssl-key': 'sslkey',
  hostaddr: 'host',
};

function paramsFromSqlxUrl(url: string, badUrl: () => never): Record<string, string> {
  const scheme = /^([a-z][a-z0-9+.-]*):\/\//i.exec(url)?.[1]?.toLowerCase();
  if (scheme !== 'postgres' && scheme !== 'postgresql') badUrl();
  let raw: Record<string, string>;
  try {
    raw = paramsFromUrl(url);
  } catch (err) {
    if (err instanceof UsageError) badUrl();
    throw err;
  }
  const params: Record<string, string> = {};
  for (const [key, value] of Object.entries(raw)) {
    if (key === 'statement-cache-capacity') continue;
    params[SQLX_URL_ALIASES[key] ?? key] = value;
  }
  return params;
}

function connect(params: Record<string, string>, where: string, ctx: SqlxContext, warnings: string[]): PostgresConnection {
  const { env, pem } = sqlxDifferences(params, ctx);
  return { ...libpqConnection(params, where, { ...ctx, env }, warnings), ...pem };
}

export function masDatabaseFromUrl(url: string, ctx: SqlxContext): MasDatabase {
  const warnings: string[] = [];
  const params = paramsFromSqlxUrl(url, () => {
    throw new UsageError(
      '--mas-database-url is not a valid PostgreSQL URL. Use postgresql://user:password@host:port/dbname ' +
        '(percent-encode special characters, e.g. @ as %40), or postgresql:///dbname?host=/var/run/postgresql for a unix socket.',
    );
  });
  return { connection: connect(params, '--mas-database-url', ctx, warnings), source: '--mas-database-url', warnings };
}

/** The `database` section of the merged MAS config; absent means MAS's default uri "postgresql://". */
export async function masDatabaseFromConfig(node: ConfigNode | undefined, files: string[], ctx: SqlxContext): Promise<MasDatabase> {
  const warnings: string[] = [];
  const section = mapping(node, 'database');
  if (section === undefined) {
    return { connection: connect({}, 'MAS default', ctx, warnings), source: `MAS's default (no database section in ${files.join(', ')})`, warnings };
  }
  const get = (key: string) => entry(section, key);
  const key = (k: string) => `database.${k}`;
  for (const k of section.entries.keys()) {
    if (!KNOWN.has(k)) warnings.push(`${key(k)} (${section.entries.get(k)!.where}) is not a setting this tool knows; MAS ignores unknown settings too.`);
  }

  const uriNode = get('uri');
  const uri = text(uriNode, key('uri'));
  const split = SPLIT_KEYS.filter((k) => get(k) !== undefined);
  if (uriNode && split.length > 0) {
    throw new ConfigError(
      `${key('uri')} (${uriNode.where}) cannot be combined with ${split.map((k) => `${key(k)} (${get(k)!.where})`).join(', ')}; ` +
        'MAS refuses that too. Keep either the uri or the separate settings.',
    );
  }
  exclusive(get, 'password', 'password_file');
  exclusive(get, 'ssl_ca', 'ssl_ca_file');
  exclusive(get, 'ssl_certificate', 'ssl_certificate_file');
  exclusive(get, 'ssl_key', 'ssl_key_file');
  const cert = get('ssl_certificate') ?? get('ssl_certificate_file');
  const tlsKey = get('ssl_key') ?? get('ssl_key_file');
  if ((cert === undefined) !== (tlsKey === undefined)) {
    const set = (cert ?? tlsKey)!;
    throw new ConfigError(
      `database has a client ${cert ? 'certificate' : 'key'} (${set.where}) without a ${cert ? 'key' : 'certificate'}; MAS refuses that too. ` +
        'Set ssl_certificate(_file) and ssl_key(_file) together, or neither.',
    );
  }

  const source = (uriNode ?? get(split[0] ?? '') ?? section).where.replace(/ line \d+$/, '');
  const where = `database in ${source}`;
  let params: Record<string, string>;
  if (uriNode) {
    params = paramsFromSqlxUrl(uri!, () => {
      throw new ConfigError(
        `${key('uri')} (${uriNode.where}) is not a PostgreSQL URL MAS can read. Use postgresql://user:password@host:port/dbname ` +
          '(percent-encode special characters, e.g. @ as %40).',
      );
    });
  } else {
    params = {};
    const set = (name: string, value: string | number | undefined) => {
      if (value !== undefined) params[name] = String(value);
    };
    set('host', text(get('host'), key('host')));
    set('port', integer(get('port'), key('port'), 1, 65535));
    // sqlx connects through the socket directory whenever one is set, whatever the host says.
    const socket = text(get('socket'), key('socket'));
    if (socket !== undefined) params.host = resolve(ctx.cwd, socket);
    set('user', text(get('username'), key('username')));
    set('password', text(get('password'), key('password')));
    const passwordFile = text(get('password_file'), key('password_file'));
    if (passwordFile !== undefined) params.password = await readPasswordFile(resolve(ctx.cwd, passwordFile), get('password_file')!);
    set('dbname', text(get('database'), key('database')));
  }

  // The ssl_* settings apply after either form, over what the uri says.
  const sslMode = text(get('ssl_mode'), key('ssl_mode'));
  if (sslMode !== undefined) {
    if (!SSL_MODES.includes(sslMode)) {
      throw new ConfigError(`${key('ssl_mode')} (${get('ssl_mode')!.where}) must be one of ${SSL_MODES.join(', ')}; MAS refuses anything else.`);
    }
    params.sslmode = sslMode;
  }
  const inline: Partial<PostgresConnection> = {};
  for (const [pemKey, fileKey, param] of [
    ['ssl_ca', 'ssl_ca_file', 'sslrootcert'],
    ['ssl_certificate', 'ssl_certificate_file', 'sslcert'],
    ['ssl_key', 'ssl_key_file', 'sslkey'],
  ] as const) {
    const file = text(get(fileKey), key(fileKey));
    if (file !== undefined) params[param] = file;
    const pem = text(get(pemKey), key(pemKey));
    if (pem !== undefined) {
      delete params[param];
      inline[param] = pem;
    }
  }
  const connection = { ...connect(params, where, ctx, warnings), ...inline };
  return { connection, source, warnings };
}

function exclusive(get: (k: string) => ConfigNode | undefined, a: string, b: string): void {
  const na = get(a);
  const nb = get(b);
  if (na && nb) {
    throw new ConfigError(`database.${a} (${na.where}) and database.${b} (${nb.where}) are both set; MAS refuses that too. Keep one.`);
  }
}

/** MAS reads password_file as text and trims it. */
async function readPasswordFile(path: string, node: ConfigNode): Promise<string> {
  try {
    return (await readFile(path, 'utf8')).trim();
  } catch (err) {
    throw new ConfigError(
      `Cannot read database.password_file ${path} (${node.where}): ${(err as NodeJS.ErrnoException).code}. ` +
        'Run the tool as a user who may read it, or fix the path.',
    );
  }
}
