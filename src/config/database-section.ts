// Where Synapse's database is: the config's database section (as synapse/config/database.py reads
// it) or a --database-url, turned into DatabaseSettings with libpq's environment and defaults.
import { userInfo } from 'node:os';
import { isAbsolute, join, resolve } from 'node:path';
import type { DatabaseSettings, PostgresConnection } from './types.js';
import { ConfigError, UsageError } from '../errors.js';
import { isMapping, pyGet, pyTruthy, type MergedConfig } from './yaml.js';

export interface ResolvedDatabase {
  settings: DatabaseSettings;
  /** The file that set the database (or "--database-url"), for messages. */
  source: string;
  warnings: string[];
}

/** Who this process runs as: libpq's default user and home come from getpwuid(geteuid()). */
export interface OsUser {
  username: string;
  homedir: string;
}

interface Context {
  env: NodeJS.ProcessEnv;
  cwd: string;
  files: string[];
  /** Tests pass one; otherwise os.userInfo(), which throws for a uid with no passwd entry. */
  osUser?: () => OsUser;
}

const ENGINES = ['sqlite3', 'psycopg2'];

// libpq's compiled-in socket directory on Debian and Ubuntu, where Synapse's packages and its
// container get their libpq; pg's own default (TCP to localhost) is not what Synapse would use.
export const DEFAULT_PG_SOCKET_DIR = '/var/run/postgresql';
const DEFAULT_PG_PORT = 5432;
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

/** Synapse's rules: `database`, or the `databases` entry holding `main`, or legacy `database_path`. */
export function databaseSettingsFromConfig(config: MergedConfig, ctx: Context): ResolvedDatabase {
  const single = config.get('database');
  const multi = config.get('databases');
  const legacy = config.get('database_path');
  // Synapse tests these with Python truthiness: an empty section counts as absent.
  const has = (entry: { value: unknown } | undefined): entry is { value: unknown; file: string } => pyTruthy(entry?.value);

  if (has(single) && has(multi)) {
    throw new ConfigError(
      `Both database (${single.file}) and databases (${multi.file}) are set; Synapse refuses that too. Keep only one.`,
    );
  }
  if (has(multi)) {
    if (has(legacy)) {
      throw new ConfigError(
        `database_path (${legacy.file}) cannot be combined with databases (${multi.file}); Synapse refuses that too. Remove database_path.`,
      );
    }
    return fromMulti(multi.value, multi.file, ctx);
  }
  if (has(single)) {
    const resolved = fromSection('database', single.value, single.file, ctx);
    if (has(legacy)) resolved.warnings.push(`database_path (${legacy.file}) is ignored because a database section is set, as Synapse ignores it.`);
    return resolved;
  }
  if (has(legacy)) {
    if (typeof legacy.value !== 'string') throw new ConfigError(`database_path in ${legacy.file} must be a file path.`);
    return { settings: sqliteAt(legacy.value, 'database_path', legacy.file, ctx.cwd), source: legacy.file, warnings: [] };
  }
  throw new ConfigError(
    `No database is configured in ${ctx.files.join(', ')}. Synapse needs a \`database\` section as well: ` +
      'pass every file Synapse is started with (-c, repeatable), or give the database with --database-url.',
  );
}

function fromMulti(databases: unknown, file: string, ctx: Context): ResolvedDatabase {
  if (!isMapping(databases)) throw new ConfigError(`databases in ${file} must map labels to database sections.`);
  const withMain = Object.entries(databases).filter(([label, section]) => {
    const label_ = `databases.${label}`;
    if (!isMapping(section)) throw new ConfigError(`${label_} in ${file} must be a mapping with name and args.`);
    engineOf(section, label_, file);
    // Python's `"main" in data_stores` (a string tests for a substring); the default is every store.
    const stores = section.data_stores ?? ['main', 'state'];
    return (Array.isArray(stores) || typeof stores === 'string') && stores.includes('main');
  });
  if (withMain.length !== 1) {
    const found = withMain.length === 0 ? 'none of them lists' : `${withMain.map(([l]) => l).join(' and ')} all list`;
    throw new ConfigError(
      `databases in ${file}: ${found} "main" in data_stores, and Synapse needs exactly one. Fix data_stores so one database holds main.`,
    );
  }
  const [label, section] = withMain[0]!;
  return fromSection(`databases.${label}`, section, file, ctx);
}

function engineOf(section: Record<string, unknown>, label: string, file: string): string {
  const name = pyGet(section, 'name', 'sqlite3');
  if (typeof name !== 'string' || !ENGINES.includes(name)) {
    throw new ConfigError(
      `Unsupported database engine ${JSON.stringify(name)} in ${label}.name (${file}). ` +
        'Synapse supports "sqlite3" and "psycopg2" (PostgreSQL): fix the name.',
    );
  }
  return name;
}

function fromSection(label: string, section: unknown, file: string, ctx: Context): ResolvedDatabase {
  if (!isMapping(section)) throw new ConfigError(`${label} in ${file} must be a mapping with name and args.`);
  const warnings: string[] = [];
  const engine = engineOf(section, label, file);
  if (section.name === undefined) {
    // The config check defaults it, but storage/engines/__init__.py:create_engine reads name directly.
    warnings.push(`${label}.name is missing in ${file}: read as sqlite3, but Synapse itself stops at start-up (KeyError 'name'). Add name: sqlite3.`);
  }
  const args = pyGet(section, 'args', {});
  if (!isMapping(args)) throw new ConfigError(`${label}.args in ${file} must be a mapping of connection settings.`);

  if (engine === 'sqlite3') {
    const path = args.database;
    if (typeof path !== 'string' || path === '') {
      throw new ConfigError(`${label}.args.database in ${file} must be the path of Synapse's SQLite file.`);
    }
    if (!isAbsolute(path) && path !== ':memory:') {
      warnings.push(
        `${label}.args.database in ${file} is the relative path ${path}; Synapse resolves it against the directory it runs in, ` +
          `this tool against the current one (${resolve(ctx.cwd, path)}). If that is not the file, pass --database-url.`,
      );
    }
    return { settings: sqliteAt(path, `${label}.args.database`, file, ctx.cwd), source: file, warnings };
  }

  const where = `${label}.args in ${file}`;
  if ('database' in args && 'dbname' in args) {
    throw new ConfigError(`${where} sets both dbname and database; psycopg2 refuses that too. Keep one.`);
  }
  for (const key of ['dsn', 'service']) {
    if (key in args) {
      throw new ConfigError(
        `${where} uses "${key}", which this tool cannot follow. Write the connection as separate args ` +
          '(host, port, user, password, dbname) or pass it with --database-url.',
      );
    }
  }
  const params: Record<string, string> = {};
  for (const [key, value] of Object.entries(args)) {
    // cp_* are Twisted's pool settings; psycopg2 drops None values before building the DSN.
    if (key.startsWith('cp_') || value === null || value === undefined) continue;
    params[key === 'database' ? 'dbname' : key] = pythonStr(value, `${label}.args.${key}`, file);
    if (key === 'password' && typeof value !== 'string') {
      warnings.push(`${label}.args.password in ${file} is not a quoted string; YAML may have changed it (0123 reads as 83). Quote it.`);
    }
  }
  return { settings: postgresFrom(params, where, ctx, warnings), source: file, warnings };
}

function sqliteAt(path: string, key: string, file: string, cwd: string): DatabaseSettings {
  if (path === ':memory:') {
    throw new ConfigError(`${key} in ${file} is ":memory:": that database lives only inside the running Synapse, so there is nothing to change.`);
  }
  return { engine: 'sqlite', path: resolve(cwd, path) };
}

/** psycopg2 builds its DSN from str(value). */
function pythonStr(value: unknown, key: string, file: string): string {
  if (typeof value === 'string') return value;
  if (typeof value === 'number') return String(value);
  if (typeof value === 'boolean') return value ? 'True' : 'False';
  throw new ConfigError(`${key} in ${file} must be a single value, not a list or mapping.`);
}

/** libpq's order: the given keyword, else its environment variable, else libpq's default. */
function postgresFrom(params: Record<string, string>, where: string, ctx: Context, warnings: string[]): DatabaseSettings {
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
  return { engine: 'postgres', connection };
}

/** os.userInfo(), or undefined for a uid with no passwd entry (a container started with --user 1234). */
function osUserOf(ctx: Context): OsUser | undefined {
  try {
    return (ctx.osUser ?? userInfo)();
  } catch {
    return undefined;
  }
}

/** libpq's ~/.pgpass: ~ is $HOME, else the passwd entry's home; with neither, libpq reads no passfile. */
function defaultPassfile(ctx: Context): string | undefined {
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

/** `--database-url`: a postgres:// or postgresql:// URL (libpq's URI form), or an SQLite file path. */
export function databaseSettingsFromUrl(url: string, env: NodeJS.ProcessEnv, cwd: string, osUser?: () => OsUser): ResolvedDatabase {
  const source = '--database-url';
  const scheme = /^([a-z][a-z0-9+.-]*):\/\//i.exec(url)?.[1]?.toLowerCase();
  if (scheme === undefined) {
    if (url.trim() === '') throw new UsageError('--database-url is empty. Give a postgresql:// URL or the path of the SQLite file.');
    if (url === ':memory:') throw new UsageError('--database-url :memory: is an empty in-memory database. Give the path of Synapse\'s SQLite file.');
    // Most likely a PostgreSQL URL missing its scheme, which may hold a password: don't repeat it.
    if (url.includes('@') || /^postgres(ql)?:/i.test(url)) {
      throw new UsageError('--database-url looks like a PostgreSQL URL without its scheme. Write it as postgresql://user:password@host:port/dbname.');
    }
    return { settings: { engine: 'sqlite', path: resolve(cwd, url) }, source, warnings: [] };
  }
  if (scheme !== 'postgres' && scheme !== 'postgresql') {
    throw new UsageError(`--database-url has the scheme "${scheme}"; give a postgresql:// URL or the path of the SQLite file.`);
  }
  const warnings: string[] = [];
  const settings = postgresFrom(paramsFromUrl(url), source, { env, cwd, files: [], osUser }, warnings);
  return { settings, source, warnings };
}

const BAD_URL =
  '--database-url is not a valid PostgreSQL URL. Use postgresql://user:password@host:port/dbname ' +
  '(percent-encode special characters, e.g. @ as %40), or postgresql:///dbname?host=/var/run/postgresql for a unix socket.';

/** libpq's URI rules: every part percent-decoded, and query parameters override the parts. */
function paramsFromUrl(text: string): Record<string, string> {
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

/** For messages: engine and where, never the password. */
export function describeDatabase(settings: DatabaseSettings): string {
  switch (settings.engine) {
    case 'sqlite':
      return `sqlite ${settings.path}`;
    case 'postgres': {
      const { user, host, port, database, options } = settings.connection;
      const socket = host?.startsWith('/');
      const hostPart = host?.includes(':') && !socket ? `[${host}]` : (host ?? '');
      const extra = [socket ? 'unix socket' : undefined, options ? `options "${options}"` : undefined].filter(Boolean);
      return `postgres ${user ?? ''}@${hostPart}:${port ?? DEFAULT_PG_PORT}/${database ?? ''}${extra.length ? ` (${extra.join(', ')})` : ''}`;
    }
    default:
      return settings satisfies never;
  }
}
