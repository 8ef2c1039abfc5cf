// Fresh, migrated Synapse databases for tests: one SQLite file or one PostgreSQL database each,
// plus a homeserver.yaml that points at them the way Synapse admins write it.
// Each is a copy of a template migrated once: PostgreSQL's are made in the global setup
// (test/setup/postgres.ts), SQLite's once per test file here. Every database made here is
// registered until its cleanup runs, so a file that forgets one fails (test/setup/leftovers.ts).
import { randomBytes } from 'node:crypto';
import { copyFile, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import knexFactory, { type Knex } from 'knex';
import pg from 'pg';
import { inject } from 'vitest';
import { stringify } from 'yaml';
import type { MasVariant } from '../../migrations/mas/index.js';
import { migrateTo, type SchemaVariant } from '../../migrations/synapse/index.js';
import type { DatabaseSettings } from '../../src/database/settings.js';
import type { PostgresConnection } from '../../src/libpq/settings.js';
import { atEndOfFile, markServerUsed, registerClosed, registerOpen, workerDatabasePrefix } from './open-databases.js';
import { createDatabaseSql, databaseUrl, dropDatabaseSql, type TestPostgres } from './postgres.js';

export const DIALECTS = ['sqlite', 'postgres'] as const;
export type TestDialect = (typeof DIALECTS)[number];

export interface FreshDatabase {
  settings: DatabaseSettings;
  /** For arranging and checking rows; the code under test opens its own connection. */
  knex: Knex;
  cleanup(): Promise<void>;
}

export { openDatabases, workerDatabasePrefix } from './open-databases.js';

function registered(db: FreshDatabase, what: string): FreshDatabase {
  const cleanup = db.cleanup;
  db.cleanup = async () => {
    registerClosed(db);
    await cleanup();
  };
  registerOpen(db, what);
  return db;
}

async function sqliteAt(dir: string, path: string): Promise<FreshDatabase> {
  const knex = knexFactory({ client: 'better-sqlite3', connection: { filename: path }, useNullAsDefault: true });
  return registered(
    {
      settings: { engine: 'sqlite', path },
      knex,
      cleanup: async () => {
        await knex.destroy();
        await rm(dir, { recursive: true, force: true });
      },
    },
    path,
  );
}

async function emptySqlite(): Promise<FreshDatabase> {
  const dir = await mkdtemp(join(tmpdir(), 'sab-sqlite-'));
  return sqliteAt(dir, join(dir, 'homeserver.db'));
}

/**
 * One migrated SQLite file per schema variant for this test file, checkpointed and closed, so
 * that a byte copy of it is the same database. Removed when the test file ends.
 */
const sqliteTemplates = new Map<SchemaVariant, Promise<string>>();
let sqliteTemplateDir: Promise<string> | undefined;

function sqliteTemplate(variant: SchemaVariant): Promise<string> {
  let template = sqliteTemplates.get(variant);
  if (!template) {
    template = (async () => {
      if (!sqliteTemplateDir) {
        sqliteTemplateDir = mkdtemp(join(tmpdir(), 'sab-sqlite-templates-'));
        atEndOfFile(removeSqliteTemplates);
      }
      const dir = await sqliteTemplateDir;
      const path = join(dir, `schema-${variant}.db`);
      const knex = knexFactory({ client: 'better-sqlite3', connection: { filename: path }, useNullAsDefault: true });
      try {
        await migrateTo(knex, variant);
        await knex.raw('PRAGMA wal_checkpoint(TRUNCATE)');
      } finally {
        await knex.destroy();
      }
      return path;
    })();
    sqliteTemplates.set(variant, template);
  }
  return template;
}

async function removeSqliteTemplates(): Promise<void> {
  const dir = sqliteTemplateDir;
  sqliteTemplateDir = undefined;
  sqliteTemplates.clear();
  if (dir) await rm(await dir, { recursive: true, force: true });
}

async function copyOfSqlite(variant: SchemaVariant): Promise<FreshDatabase> {
  const template = await sqliteTemplate(variant);
  const dir = await mkdtemp(join(tmpdir(), 'sab-sqlite-'));
  const path = join(dir, 'homeserver.db');
  await copyFile(template, path);
  return sqliteAt(dir, path);
}

/**
 * One admin connection per test file for creating and dropping databases: a connection costs
 * PostgreSQL a new process and both sides a SCRAM exchange, and each case makes one or two
 * databases. Closed when the test file ends.
 */
let adminClient: Promise<pg.Client> | undefined;

async function adminQuery(server: TestPostgres, sql: string): Promise<void> {
  if (!adminClient) {
    markServerUsed();
    const client = new pg.Client({ connectionString: server.adminUrl });
    // A broken connection is replaced at the next query rather than failing every later case.
    client.on('error', () => (adminClient = undefined));
    adminClient = client.connect().then(() => client);
    adminClient.catch(() => (adminClient = undefined));
    atEndOfFile(async () => {
      adminClient = undefined;
      await client.end().catch(() => undefined);
    });
  }
  await (await adminClient).query(sql);
}

async function copyOfPostgres(template: (server: TestPostgres) => string): Promise<FreshDatabase> {
  const server = inject('sabPostgres');
  if (!server) {
    throw new Error("No test PostgreSQL: add test/setup/postgres.ts to this vitest config's globalSetup");
  }
  const name = `${workerDatabasePrefix(server)}${randomBytes(6).toString('hex')}`;
  await adminQuery(server, createDatabaseSql(name, template(server)));
  const url = new URL(databaseUrl(server.adminUrl, name));
  const knex = knexFactory({ client: 'pg', connection: url.toString(), pool: { min: 0, max: 2 } });
  return registered(
    {
      settings: {
        engine: 'postgres',
        connection: {
          host: url.hostname,
          port: Number(url.port || 5432),
          user: decodeURIComponent(url.username),
          password: decodeURIComponent(url.password),
          database: name,
        },
      },
      knex,
      cleanup: async () => {
        await knex.destroy();
        await adminQuery(server, dropDatabaseSql(name));
      },
    },
    name,
  );
}

/** A new database with no tables, created as Synapse requires. */
export async function emptyDatabase(dialect: TestDialect): Promise<FreshDatabase> {
  switch (dialect) {
    case 'sqlite':
      return emptySqlite();
    case 'postgres':
      return copyOfPostgres(() => 'template0');
    default:
      return dialect satisfies never;
  }
}

/** A new, empty Synapse database at schema `variant`. */
export async function freshDatabase(dialect: TestDialect, variant: SchemaVariant = 94): Promise<FreshDatabase> {
  return dialect === 'postgres' ? copyOfPostgres((server) => server.templates[variant]) : copyOfSqlite(variant);
}

/** A new MAS database at MAS release `variant` (PostgreSQL only, as MAS). */
export async function freshMasDatabase(variant: MasVariant): Promise<FreshDatabase> {
  return copyOfPostgres((server) => server.masTemplates[variant]);
}

/** The connection of a PostgreSQL database's settings; a test that got SQLite fails. */
export function postgresConnection(settings: DatabaseSettings): PostgresConnection {
  if (settings.engine !== 'postgres') throw new Error('expected postgres');
  return settings.connection;
}

/** The `database` section as Synapse's documentation has admins write it. */
export function synapseDatabaseConfig(database: DatabaseSettings): Record<string, unknown> {
  switch (database.engine) {
    case 'sqlite':
      return { name: 'sqlite3', args: { database: database.path } };
    case 'postgres': {
      const { host, port, user, password, database: dbname } = database.connection;
      return { name: 'psycopg2', args: { user, password, dbname, host, port, cp_min: 5, cp_max: 10 } };
    }
    default:
      return database satisfies never;
  }
}

export interface HomeserverYamlOptions {
  serverName: string;
  database: DatabaseSettings;
  /** More top-level keys; they replace the defaults written here. */
  extra?: Record<string, unknown>;
}

/** Writes `dir`/homeserver.yaml in the shape of the one Synapse generates; returns its path. */
export async function writeHomeserverYaml(dir: string, options: HomeserverYamlOptions): Promise<string> {
  const config = {
    server_name: options.serverName,
    pid_file: join(dir, 'homeserver.pid'),
    listeners: [
      {
        port: 8008,
        tls: false,
        type: 'http',
        x_forwarded: true,
        bind_addresses: ['::1', '127.0.0.1'],
        resources: [{ names: ['client', 'federation'], compress: false }],
      },
    ],
    database: synapseDatabaseConfig(options.database),
    log_config: join(dir, `${options.serverName}.log.config`),
    media_store_path: join(dir, 'media_store'),
    registration_shared_secret: randomBytes(24).toString('base64url'),
    report_stats: false,
    macaroon_secret_key: randomBytes(24).toString('base64url'),
    form_secret: randomBytes(24).toString('base64url'),
    signing_key_path: join(dir, `${options.serverName}.signing.key`),
    trusted_key_servers: [{ server_name: 'matrix.org' }],
    ...options.extra,
  };
  const path = join(dir, 'homeserver.yaml');
  await writeFile(path, stringify(config));
  return path;
}
