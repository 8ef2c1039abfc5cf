// The schema our migrations/ build for tests and the demo must be a faithful slice of what a real
// Synapse creates: otherwise the fast suite proves the tool against a database that does not exist.
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Knex } from 'knex';
import {
  describeColumns,
  describeUniqueKeys,
  expectedColumns,
  expectedUniqueKeys,
  migrateTo,
  BUILT_TABLES,
  type BuiltTable,
} from '../../migrations/synapse/index.js';
import { e2eContext } from './harness/context.js';
import { openPg, openSqlite, withKnex } from './harness/db.js';
import { Homeserver, type Engine } from './harness/homeserver.js';
import { dumpSchema, readSchema, typeClass, type Schema } from './harness/introspect.js';
import { createDatabase, dropDatabase } from './harness/postgres.js';

const ctx = e2eContext();
const SCHEMA_VERSION = 94;

async function realSchema(engine: Engine): Promise<{ schema: Schema; version: number; hs: Homeserver; db: Knex }> {
  const hs = await Homeserver.create(ctx, { name: `drift-${engine}`, engine });
  // Synapse creates its whole schema on first start.
  await hs.start();
  await hs.stop();
  const db = engine === 'sqlite' ? openSqlite(hs.sqlitePath) : openPg(ctx.pg, hs.dbName);
  // Kept for whoever edits migrations/: the real thing to read beside them.
  const dump = await dumpSchema(db, engine === 'postgres' ? { server: ctx.pg, database: hs.dbName } : undefined);
  writeFileSync(`/tmp/real-schema-${SCHEMA_VERSION}.${engine === 'sqlite' ? 'sqlite' : 'pg'}.sql`, dump);
  const row = await db('schema_version').first('version');
  return { schema: await readSchema(db), version: Number(row.version), hs, db };
}

async function ourSchema(engine: Engine): Promise<{ schema: Schema; version: number }> {
  const name = `sab_drift_ours`;
  let db;
  if (engine === 'sqlite') {
    db = openSqlite(path.join(ctx.runDir, 'drift-ours.db'));
  } else {
    await createDatabase(ctx.pg, name);
    db = openPg(ctx.pg, name);
  }
  return withKnex(db, async (db) => {
    await migrateTo(db, SCHEMA_VERSION);
    const row = await db('schema_version').first('version');
    return { schema: await readSchema(db), version: Number(row.version) };
  });
}

describe.each<Engine>(['sqlite', 'postgres'])('schema drift against a real Synapse on %s', (engine) => {
  let real: Awaited<ReturnType<typeof realSchema>>;
  let ours: Awaited<ReturnType<typeof ourSchema>>;

  beforeAll(async () => {
    real = await realSchema(engine);
    ours = await ourSchema(engine);
  });
  afterAll(async () => {
    await real?.db.destroy();
    await real?.hs.destroy();
    if (engine === 'postgres') await dropDatabase(ctx.pg, 'sab_drift_ours');
  });

  it(`the real Synapse is at schema ${SCHEMA_VERSION}, as migrateTo(${SCHEMA_VERSION}) records`, () => {
    expect(real.version).toBe(SCHEMA_VERSION);
    expect(ours.version).toBe(SCHEMA_VERSION);
  });

  it('every table our migrations build exists in the real database', () => {
    const missing = [...ours.schema.keys()].filter((table) => !real.schema.has(table));
    expect(ours.schema.size).toBeGreaterThan(0);
    expect(missing).toEqual([]);
  });

  it('every column our migrations build exists there with a compatible type', () => {
    const problems: string[] = [];
    for (const [table, columns] of ours.schema) {
      const realColumns = real.schema.get(table);
      if (!realColumns) continue;
      for (const [column, info] of columns) {
        const realInfo = realColumns.get(column);
        if (!realInfo) {
          problems.push(`${table}.${column}: not in Synapse's table`);
        } else if (typeClass(engine, info.type) !== typeClass(engine, realInfo.type)) {
          problems.push(`${table}.${column}: ours is ${info.type || '(none)'}, Synapse's is ${realInfo.type || '(none)'}`);
        }
      }
    }
    expect(problems).toEqual([]);
  });

  it("every column Synapse requires (NOT NULL without default) is built, and NOT NULL too", () => {
    // Otherwise an insert that works in the fast suite fails on a real server.
    const problems: string[] = [];
    for (const [table, columns] of ours.schema) {
      for (const [column, realInfo] of real.schema.get(table) ?? []) {
        if (!realInfo.notNull) continue;
        const info = columns.get(column);
        if (!info && !realInfo.hasDefault) problems.push(`${table}.${column}: required by Synapse, missing from ours`);
        else if (info && !info.notNull) problems.push(`${table}.${column}: NOT NULL in Synapse, nullable in ours`);
      }
    }
    expect(problems).toEqual([]);
  });

  it("migrations/synapse/tables.ts's expectations (types, NOT NULL, defaults, unique keys) hold in the real database", async () => {
    const problems: string[] = [];
    for (const table of Object.keys(BUILT_TABLES) as BuiltTable[]) {
      const expected = expectedColumns(table, engine, SCHEMA_VERSION);
      const actual = await describeColumns(real.db, table);
      const actualByName = new Map(actual.map((c) => [c.name, c]));
      for (const column of expected) {
        const found = actualByName.get(column.name);
        if (JSON.stringify(found) !== JSON.stringify(column)) {
          problems.push(`${table}.${column.name}: expected ${JSON.stringify(column)}, Synapse has ${JSON.stringify(found ?? 'nothing')}`);
        }
      }
      // Synapse builds some unique indexes in background updates, which may not have run yet.
      const keys = await describeUniqueKeys(real.db, table);
      for (const key of expectedUniqueKeys(table, engine, SCHEMA_VERSION, { backgroundUpdatesDone: false })) {
        if (!keys.includes(key)) problems.push(`${table}: unique (${key}) expected, Synapse has ${JSON.stringify(keys)}`);
      }
      const allowed = expectedUniqueKeys(table, engine, SCHEMA_VERSION);
      for (const key of keys) {
        if (!allowed.includes(key)) problems.push(`${table}: Synapse has unique (${key}), not in the expectations`);
      }
    }
    expect(problems).toEqual([]);
  });
});
