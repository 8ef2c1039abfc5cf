import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Knex } from 'knex';
import { afterEach, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import {
  COMPAT_VERSION,
  SCHEMA_VARIANTS,
  BUILT_TABLES,
  describeColumns,
  describeUniqueKeys,
  dialectOf,
  expectedColumns,
  expectedUniqueKeys,
  migrateTo,
  type SchemaVariant,
  type BuiltTable,
} from '../migrations/synapse/index.js';
import { DIALECTS, emptyDatabase, freshDatabase, writeHomeserverYaml, type FreshDatabase } from './helpers/databases.js';

const TABLES = Object.keys(BUILT_TABLES) as BuiltTable[];

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  await Promise.all(cleanups.splice(0).map((cleanup) => cleanup()));
});

async function track(db: Promise<FreshDatabase>): Promise<FreshDatabase> {
  const opened = await db;
  cleanups.push(opened.cleanup);
  return opened;
}

async function expectSchema(knex: Knex, variant: SchemaVariant): Promise<void> {
  const dialect = dialectOf(knex);
  for (const table of TABLES) {
    expect.soft(await describeColumns(knex, table), `${table} columns`).toEqual(expectedColumns(table, dialect, variant));
    expect.soft(await describeUniqueKeys(knex, table), `${table} unique keys`).toEqual(
      expectedUniqueKeys(table, dialect, variant),
    );
  }
  const versions = await knex('schema_version').select('version', 'upgraded');
  expect(versions).toEqual([{ version: variant, upgraded: dialect === 'sqlite' ? 1 : true }]);
  expect(await knex('schema_compat_version').select('compat_version')).toEqual([
    { compat_version: COMPAT_VERSION[variant] },
  ]);
}

describe.each(DIALECTS)('migrations on %s', (dialect) => {
  it.each(SCHEMA_VARIANTS)('build schema %i from an empty database', async (variant) => {
    const db = await track(emptyDatabase(dialect));
    await migrateTo(db.knex, variant);
    await expectSchema(db.knex, variant);
  });

  it('upgrade schema 72 to 94', async () => {
    const db = await track(emptyDatabase(dialect));
    await migrateTo(db.knex, 72);
    await migrateTo(db.knex, 94);
    await expectSchema(db.knex, 94);
  });

  it.each(SCHEMA_VARIANTS)('freshDatabase gives schema %i', async (variant) => {
    const db = await track(freshDatabase(dialect, variant));
    await expectSchema(db.knex, variant);
  });

  it('keeps user names and access tokens unique', async () => {
    const { knex } = await track(freshDatabase(dialect));
    await knex('users').insert({ name: '@alice:example.test', creation_ts: 1 });
    await expect(knex('users').insert({ name: '@alice:example.test', creation_ts: 2 })).rejects.toThrow(/unique/i);
    const token = { user_id: '@alice:example.test', token: 'syt_YWxpY2U_abc_000000' };
    await knex('access_tokens').insert({ id: 2, ...token });
    await expect(knex('access_tokens').insert({ id: 3, ...token })).rejects.toThrow(/unique/i);
  });

  it('finds a user through user_directory_search in its dialect form', async () => {
    const { knex } = await track(freshDatabase(dialect));
    const search =
      dialect === 'sqlite'
        ? {
            insert: () => knex('user_directory_search').insert({ user_id: '@bob:example.test', value: '@bob:example.test builder bob' }),
            find: () => knex('user_directory_search').select('user_id').whereRaw('value MATCH ?', ['builder']),
          }
        : {
            insert: () =>
              knex.raw(
                `INSERT INTO user_directory_search (user_id, vector) VALUES (?,
                   setweight(to_tsvector('simple', ?), 'A') || setweight(to_tsvector('simple', ?), 'D')
                   || setweight(to_tsvector('simple', COALESCE(?, '')), 'B'))`,
                ['@bob:example.test', 'bob', 'example.test', 'builder bob'],
              ),
            find: () =>
              knex('user_directory_search').select('user_id').whereRaw("vector @@ to_tsquery('simple', ?)", ['builder']),
          };
    await search.insert();
    expect(await search.find()).toEqual([{ user_id: '@bob:example.test' }]);
  });
});

describe('writeHomeserverYaml', () => {
  it('writes the psycopg2 arguments as Synapse admins spell them', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'sab-hs-'));
    cleanups.push(() => rm(dir, { recursive: true, force: true }));
    const path = await writeHomeserverYaml(dir, {
      serverName: 'example.test',
      database: { engine: 'postgres', connection: { host: '/run/postgresql', port: 5433, user: 'synapse', password: 'pw', database: 'synapse' } },
      extra: { enable_registration: false },
    });
    const config = parse(await readFile(path, 'utf8'));
    expect(config.server_name).toBe('example.test');
    expect(config.enable_registration).toBe(false);
    expect(config.database).toEqual({
      name: 'psycopg2',
      args: { user: 'synapse', password: 'pw', dbname: 'synapse', host: '/run/postgresql', port: 5433, cp_min: 5, cp_max: 10 },
    });
  });
});
