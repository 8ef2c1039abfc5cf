// libpq's rules for where and how to connect to PostgreSQL, shared by every store that keeps its
// data there: keywords, the PG* environment, defaults, URIs (postgresql://), sslmode values and
// options. Synapse's database section (psycopg2) and matrix-authentication-service's database
// settings both follow them.
import { userInfo } from 'node:os';
import { join, resolve } from 'node:path';
import { ConfigError, UsageError } from '../errors.js';

/** libpq-style connection settings; PG* environment variables fill what is missing. */
export interface PostgresConnection {
  host?: string;
  port?: number;
  user?: string;
  password?: string;
  database?: string;
  sslmode?: string;
  /** Certificate and key files; MAS's settings may give PEM text instead (tls.ts isPem). */
  sslrootcert?: string;
  sslcert?: string;
  sslkey?: string;
  connectTimeoutSeconds?: number;
  /** libpq's passfile: args.passfile, PGPASSFILE, or ~/.pgpass. Read only when the server asks for a password. */
  passfile?: string;
  /** libpq's options (args.options or PGOPTIONS), e.g. "-c search_path=matrix", sent at connection start. */
  options?: string;
}

/** Who this process runs as: libpq's default user and home come from getpwuid(geteuid()). */
export interface OsUser {
  username: string;
  homedir: string;
}

export interface LibpqContext {
  env: NodeJS.ProcessEnv;
  /** Relative file names (passfile, certificates) are relative to it. */
  cwd: string;
  /** Tests pass one; otherwise os.userInfo(), which throws for a uid with no passwd entry. */
  osUser?: () => OsUser;
}

// libpq's compiled-in socket directory on Debian and Ubuntu, where Synapse's packages and its
// container get their libpq; pg's own default (TCP to localhost) is not what Synapse would use.
export const DEFAULT_PG_SOCKET_DIR = '/var/run/postgresql';
export const DEFAULT_PG_PORT = 5432;
const SSLMODES = ['disable', 'allow', 'prefer', 'require', 'verify-ca', 'verify-full'];

/** libpq keywords this tool uses, with the environment variable libpq falls back to. */
const LIBPQ_ENV: Record<string, string> = {
  host: 'PGHOST',
  port: 'PGPORT',
  user: 'PGUSER',
  password: 'PGPASSWORD',
  dbname: 'PGDATABASE',
  sslmode: 'PGSSLMODE',
  sslrootcert: 'PGSSLROOTCERT',
  sslcert: 'PGSSLCERT',
  sslkey: 'PGSSLKEY',
  connect_timeout: 'PGCONNECT_TIMEOUT',
  passfile: 'PGPASSFILE',
  options: 'PGOPTIONS',
};
/** libpq keywords that change nothing about where we connect or as whom. */
const HARMLESS = new Set([
  'application_name',
  'fallback_application_name',
  'client_encoding',
  'keepalives',
  'keepalives_idle',
  'keepalives_interval',
  'keepalives_count',
  'tcp_user_timeout',
]);

/** libpq's order: the given keyword, else its environment variable, else libpq's default. */
export function libpqConnection(params: Record<string, string>, where: string, ctx: LibpqContext, warnings: string[]): PostgresConnection {
  for (const key of Object.keys(params)) {
    if (!(key in LIBPQ_ENV) && !HARMLESS.has(key)) warnings.push(`${where}: "${key}" is not used by this tool, which connects without it.`);
  }
  const get = (key: string): { value: string; from: string } | undefined => {
    if (params[key]) return { value: params[key], from: `${where}: ${key}` };
    const envVar = LIBPQ_ENV[key]!;
    const fromEnv = ctx.env[envVar];
    return fromEnv ? { value: fromEnv, from: `$${envVar}` } : undefined;
  };
  const path = (key: string): string | undefined => {
    const v = get(key)?.value;
    return v === undefined ? undefined : resolve(ctx.cwd, v);
  };

  const sslmode = get('sslmode');
  if (sslmode && !SSLMODES.includes(sslmode.value)) {
    throw new ConfigError(`sslmode "${sslmode.value}" (${sslmode.from}) is not one libpq knows: use one of ${SSLMODES.join(', ')}.`);
  }
  const rootcert = get('sslrootcert');
  // libpq 16 and later: "system" means the system's CA store, and then only verify-full will do.
  const systemRoots = rootcert?.value === 'system';
  if (systemRoots && sslmode && sslmode.value !== 'verify-full') {
    throw new ConfigError(
      `sslrootcert "system" (${rootcert.from}) needs sslmode verify-full, but sslmode is "${sslmode.value}" (${sslmode.from}); ` +
        'libpq refuses this too. Set sslmode to verify-full, or name a CA file in sslrootcert.',
    );
  }
  const timeout = get('connect_timeout');
  // libpq asks getpwuid for the default user, not $USER, which cron, systemd and docker exec leave unset.
  const user = get('user')?.value ?? osUserOf(ctx)?.username ?? noUserName();
  const connection: PostgresConnection = {
    host: get('host')?.value ?? DEFAULT_PG_SOCKET_DIR,
    port: get('port') ? integer(get('port')!, 1, 65535) : DEFAULT_PG_PORT,
    user,
    password: get('password')?.value,
    database: get('dbname')?.value ?? user,
    sslmode: systemRoots ? 'verify-full' : sslmode?.value,
    sslrootcert: systemRoots ? 'system' : path('sslrootcert'),
    sslcert: path('sslcert'),
    sslkey: path('sslkey'),
    connectTimeoutSeconds: timeout ? integer(timeout, 0, Number.MAX_SAFE_INTEGER) : undefined,
    // Without a password, libpq looks in ~/.pgpass (~ from $HOME, else the passwd entry) unless a file is named.
    passfile: path('passfile') ?? (get('password') ? undefined : defaultPassfile(ctx)),
    options: get('options')?.value,
  };
  for (const key of Object.keys(connection) as (keyof PostgresConnection)[]) {
    if (connection[key] === undefined) delete connection[key];
  }
  return connection;
}

/** os.userInfo(), or undefined for a uid with no passwd entry (a container started with --user 1234). */
function osUserOf(ctx: LibpqContext): OsUser | undefined {
  try {
    return (ctx.osUser ?? userInfo)();
  } catch {
    return undefined;
  }
}

/** libpq's ~/.pgpass: ~ is $HOME, else the passwd entry's home; with neither, libpq reads no passfile. */
function defaultPassfile(ctx: LibpqContext): string | undefined {
  const home = ctx.env.HOME || osUserOf(ctx)?.homedir;
  return home ? join(home, '.pgpass') : undefined;
}

function noUserName(): never {
  throw new ConfigError(
    `No database user is given and this process's user id (${process.getuid?.() ?? 'unknown'}) has no name in the passwd database, ` +
      'so libpq would fail too. Set database.args.user in the config, or PGUSER.',
  );
}

function integer({ value, from }: { value: string; from: string }, min: number, max: number): number {
  const n = Number(value.trim());
  if (!Number.isInteger(n) || n < min || n > max) {
    throw new ConfigError(`"${value}" (${from}) is not a valid number here; it must be a whole number from ${min} to ${max}.`);
  }
  return n;
}

const BAD_URL =
  '--database-url is not a valid PostgreSQL URL. Use postgresql://user:password@host:port/dbname ' +
  '(percent-encode special characters, e.g. @ as %40), or postgresql:///dbname?host=/var/run/postgresql for a unix socket.';

/** libpq's URI rules: every part percent-decoded, and query parameters override the parts. */
export function paramsFromUrl(text: string): Record<string, string> {
  let parsed: URL;
  let emptyHost = false;
  try {
    parsed = new URL(text);
  } catch {
    // libpq allows user@ with no host (the default socket); the WHATWG parser does not.
    try {
      parsed = new URL(text.replace('@/', '@empty-host/'));
      emptyHost = true;
    } catch {
      throw new UsageError(BAD_URL);
    }
  }
  const decode = (s: string): string => {
    try {
      return decodeURIComponent(s);
    } catch {
      throw new UsageError(BAD_URL);
    }
  };
  const params: Record<string, string> = {};
  const set = (key: string, raw: string): void => {
    if (raw !== '') params[key] = decode(raw);
  };
  set('user', parsed.username);
  set('password', parsed.password);
  if (!emptyHost) set('host', parsed.hostname.replace(/^\[(.*)\]$/, '$1'));
  set('port', parsed.port);
  set('dbname', parsed.pathname.replace(/^\//, ''));
  // Not URLSearchParams: it reads "+" as a space, libpq does not.
  for (const pair of parsed.search.replace(/^\?/, '').split('&')) {
    if (pair === '') continue;
    const eq = pair.indexOf('=');
    if (eq < 0) throw new UsageError(`${BAD_URL} (a query parameter has no "=")`);
    const key = decode(pair.slice(0, eq));
    const value = decode(pair.slice(eq + 1));
    // libpq's own alias, kept for JDBC-style URLs.
    if (key === 'ssl' && value === 'true') params.sslmode = 'require';
    else params[key] = value;
  }
  return params;
}

