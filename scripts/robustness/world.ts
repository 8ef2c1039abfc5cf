// The databases the robustness script runs the CLI against: one seeded Synapse-shaped template per
// engine, copied fresh for every run, and homeserver.yaml files that point at the copies.
// Secrets are distinctive strings, so the secrets scan can look for them verbatim.
import { randomBytes } from 'node:crypto';
import { copyFileSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import knexFactory, { type Knex } from 'knex';
import pg from 'pg';
import { stringify } from 'yaml';
import { migrateTo } from '../../migrations/synapse/index.js';
import { hashPassword } from '../../src/synapse/password.js';
import { seedToken, seedUser } from '../../test/helpers/seed.js';
import { startEmbedded, externalServer, type Server } from '../../test/setup/postgres.js';
import { withAdmin } from '../../test/helpers/postgres.js';

export type Engine = 'sqlite' | 'postgres';
export const ENGINES: readonly Engine[] = ['sqlite', 'postgres'];

export const HS = 'figures.test';
export const SECRETS = {
  password: 'Pw-Kx7q-FigureSecret-91',
  pepper: 'Pepper-Zr4m-FigureSecret-88',
  dbPassword: 'DbPw-Lq2v-FigureSecret-73',
  /** Seeded users' password, so their hashes are real bcrypt hashes to look for. */
  oldPassword: 'OldPw-Hj5t-FigureSecret-42',
  seededTokens: ['syt_ZGF2ZQ_SeededTokenSecretAaaaa_1a2b3c', 'syt_ZGF2ZQ_SeededTokenSecretBbbbb_4d5e6f'],
  seededRefreshToken: 'syr_ZGF2ZQ_SeededRefreshSecretCc_7g8h9i',
};
// Cheap hashing keeps hundreds of runs fast; the tool hashes at whatever cost the config says.
const BCRYPT_ROUNDS = 4;

export const uid = (name: string) => `@${name}:${HS}`;

/** One fresh copy of the seeded database. */
export interface Db {
  engine: Engine;
  /** The `database` section for homeserver.yaml. */
  section: Record<string, unknown>;
  /** For snapshots and lock holders; the tool opens its own connection. */
  connect(): Knex;
  /** A PostgreSQL connection for other roles (lock holders use the tool's own). */
  pgConfig?: pg.ClientConfig;
}

export interface World {
  dir: string;
  pg: { host: string; port: number; adminUrl: string };
  fresh(engine: Engine): Promise<Db>;
  /** homeserver.yaml for `db` with the usual settings; `extra` replaces top-level keys. */
  config(db: Db, extra?: Record<string, unknown>): string;
  passwordFile: string;
  close(): Promise<void>;
}

/** Users in the states the writing commands need. */
async function seed(knex: Knex): Promise<void> {
  const passwordHash = await hashPassword(SECRETS.oldPassword, { pepper: SECRETS.pepper, bcryptRounds: BCRYPT_ROUNDS });
  await seedUser(knex, { name: uid('admin'), admin: true, passwordHash });
  await seedUser(knex, { name: uid('alice'), passwordHash });
  await seedUser(knex, { name: uid('bob'), admin: true, passwordHash });
  await seedUser(knex, { name: uid('dave'), passwordHash });
  await seedUser(knex, { name: uid('frank'), locked: true, suspended: true, shadowBanned: true, passwordHash });
  // Erin as Synapse's deactivation with erase leaves her: flagged, erased, profile gone.
  await seedUser(knex, { name: uid('erin'), deactivated: true, passwordHash });
  await knex('profiles').where({ user_id: 'erin' }).delete();
  await knex('erased_users').insert({ user_id: uid('erin') });
  await knex('devices').insert({ user_id: uid('dave'), device_id: 'DAVEPHONE', display_name: 'phone' });
  await seedToken(knex, uid('dave'), 1, SECRETS.seededTokens[0]!);
  await seedToken(knex, uid('dave'), 2, SECRETS.seededTokens[1]!);
  await knex('refresh_tokens').insert({ id: 1, user_id: uid('dave'), device_id: 'DAVEPHONE', token: SECRETS.seededRefreshToken });
}

async function startPostgres(): Promise<Server> {
  const external = process.env.SAB_TEST_PG_URL;
  return external ? externalServer(external) : startEmbedded();
}

export async function createWorld(dir: string): Promise<World> {
  mkdirSync(dir, { recursive: true });
  const server = await startPostgres();
  const admin = new URL(server.adminUrl);
  const prefix = `sab_fig_${randomBytes(4).toString('hex')}_`;
  const template = `${prefix}template`;
  // The role the tool logs in as, with the distinctive password; the admin URL only creates and drops.
  const ROLE = `${prefix}role`;
  const ident = pg.escapeIdentifier;
  const pgConn = (database: string, user = ROLE, password = SECRETS.dbPassword): pg.ClientConfig => ({
    host: admin.hostname,
    port: Number(admin.port || 5432),
    user,
    password,
    database,
  });
  await withAdmin(server.adminUrl, async (c) => {
    await c.query(`CREATE ROLE ${ident(ROLE)} LOGIN CREATEDB PASSWORD '${SECRETS.dbPassword}'`);
    // Synapse wants UTF8 with C collation; copies inherit it from the template.
    await c.query(`CREATE DATABASE ${ident(template)} OWNER ${ident(ROLE)} ENCODING 'UTF8' LC_COLLATE 'C' LC_CTYPE 'C' TEMPLATE template0`);
  });
  const pgKnex = (database: string) => knexFactory({ client: 'pg', connection: pgConn(database) as Knex.PgConnectionConfig, pool: { min: 0, max: 1 } });
  const sqliteKnex = (path: string) =>
    knexFactory({ client: 'better-sqlite3', connection: { filename: path }, useNullAsDefault: true, pool: { min: 0, max: 1 } });

  for (const knex of [pgKnex(template), sqliteKnex(join(dir, 'template.db'))]) {
    try {
      await migrateTo(knex, 94);
      await seed(knex);
    } finally {
      await knex.destroy();
    }
  }

  const passwordFile = join(dir, 'password.txt');
  writeFileSync(passwordFile, `${SECRETS.password}\n`);
  let n = 0;
  const databases: string[] = [];
  return {
    dir,
    pg: { host: admin.hostname, port: Number(admin.port || 5432), adminUrl: server.adminUrl },
    passwordFile,
    fresh: async (engine) => {
      n += 1;
      if (engine === 'sqlite') {
        const path = join(dir, `db${n}.sqlite`);
        copyFileSync(join(dir, 'template.db'), path);
        return { engine, section: { name: 'sqlite3', args: { database: path } }, connect: () => sqliteKnex(path) };
      }
      const name = `${prefix}${n}`;
      databases.push(name);
      await withAdmin(server.adminUrl, (c) => c.query(`CREATE DATABASE ${ident(name)} TEMPLATE ${ident(template)} OWNER ${ident(ROLE)}`));
      const conn = pgConn(name);
      return {
        engine,
        section: {
          name: 'psycopg2',
          args: { user: conn.user, password: conn.password, dbname: name, host: conn.host, port: conn.port, cp_min: 5, cp_max: 10 },
        },
        connect: () => pgKnex(name),
        pgConfig: conn,
      };
    },
    config: (db, extra = {}) => {
      n += 1;
      const path = join(dir, `homeserver${n}.yaml`);
      const config = {
        server_name: HS,
        pid_file: join(dir, 'homeserver.pid'),
        database: db.section,
        bcrypt_rounds: BCRYPT_ROUNDS,
        password_config: { pepper: SECRETS.pepper },
        report_stats: false,
        ...extra,
      };
      writeFileSync(path, stringify(config));
      return path;
    },
    close: async () => {
      try {
        await withAdmin(server.adminUrl, async (c) => {
          for (const name of [...databases, template]) await c.query(`DROP DATABASE IF EXISTS ${ident(name)} WITH (FORCE)`);
          await c.query(`DROP ROLE IF EXISTS ${ident(ROLE)}`);
        });
      } finally {
        await server.stop();
      }
    },
  };
}
