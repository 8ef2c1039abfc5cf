// Where Synapse's database is: the config's database section (as synapse/config/database.py reads
// it) or a --database-url, turned into DatabaseSettings; libpq's own rules are in src/libpq/.
import { isAbsolute, resolve } from 'node:path';
import type { DatabaseSettings } from '../database/settings.js';
import { libpqConnection, paramsFromUrl, type LibpqContext, type OsUser } from '../libpq/settings.js';
import { ConfigError, UsageError } from '../errors.js';
import { isMapping, pyGet, pyTruthy, type MergedConfig } from './yaml.js';

export interface ResolvedDatabase {
  settings: DatabaseSettings;
  /** The file that set the database (or "--database-url"), for messages. */
  source: string;
  warnings: string[];
}


interface Context extends LibpqContext {
  files: string[];
}

const ENGINES = ['sqlite3', 'psycopg2'];

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
  return { settings: { engine: 'postgres', connection: libpqConnection(params, where, ctx, warnings) }, source: file, warnings };
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
  const connection = libpqConnection(paramsFromUrl(url), source, { env, cwd, osUser }, warnings);
  return { settings: { engine: 'postgres', connection }, source, warnings };
}

export type { OsUser };
