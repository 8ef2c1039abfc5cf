// Records the real shape of matrix-authentication-service's database for the tables the tool
// touches, by applying MAS's own migrations (from a MAS checkout, never copied into this repo) to
// throwaway PostgreSQL databases and reading the result back. migrations/mas/recorded-schema.json
// is what test/mas/schema.test.ts compares our own knex slice with. See README.md beside this file.
import { createHash, randomBytes } from 'node:crypto';
import { readdir, readFile, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import knexFactory, { type Knex } from 'knex';
import pg from 'pg';
import { describeColumns, describeUniqueKeys } from '../../migrations/introspect.js';
import { MAS_ENUMS, MAS_TABLES, RECORDED_SHAPES, inShape, type RecordedSchema, type RecordedShape } from '../../migrations/mas/recorded.js';
import { createDatabaseSql, databaseUrl, dropDatabaseSql, withAdmin } from '../../test/helpers/postgres.js';
import { externalServer, startEmbedded, type Server } from '../../test/setup/postgres.js';

interface MasMigration {
  version: number;
  description: string;
  file: string;
  sql: string;
  /** sqlx runs a file outside a transaction when its first line says `-- no-transaction`. */
  noTransaction: boolean;
}

/** sqlx's naming rule: `<version>_<description with _ for spaces>.sql`. */
async function readMigrations(dir: string): Promise<MasMigration[]> {
  const files = (await readdir(dir)).filter((f) => /^\d+_.*\.sql$/.test(f)).sort();
  if (files.length === 0) throw new Error(`${dir} holds no sqlx migrations (expected crates/storage-pg/migrations of a MAS checkout)`);
  return Promise.all(
    files.map(async (file) => {
      const sql = await readFile(join(dir, file), 'utf8');
      const [, version, name] = /^(\d+)_(.*)\.sql$/.exec(file)!;
      return {
        version: Number(version),
        description: name!.replaceAll('_', ' '),
        file,
        sql,
        noTransaction: sql.trimStart().startsWith('-- no-transaction'),
      };
    }),
  );
}

async function applyMigrations(url: string, migrations: readonly MasMigration[]): Promise<void> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    // sqlx's own bookkeeping, created before the first migration (one of MAS's migrations edits it).
    await client.query(SQLX_TABLE);
    for (const m of migrations) {
      const started = process.hrtime.bigint();
      try {
        // A file sent as one simple query runs as one implicit transaction, which CREATE INDEX
        // CONCURRENTLY refuses; the no-transaction files are sent statement by statement.
        if (m.noTransaction) {
          for (const statement of splitStatements(m.sql)) await client.query(statement);
        } else {
          await client.query(`BEGIN;\n${m.sql}\n;COMMIT;`);
        }
      } catch (error) {
        await client.query('ROLLBACK').catch(() => undefined);
        throw new Error(`MAS migration ${m.file} failed: ${String(error)}`);
      }
      await client.query(
        'INSERT INTO _sqlx_migrations (version, description, success, checksum, execution_time) VALUES ($1, $2, true, $3, $4)',
        [m.version, m.description, checksumOf(m.sql), String(process.hrtime.bigint() - started)],
      );
    }
  } finally {
    await client.end();
  }
}

// As sqlx-postgres creates it (sqlx-postgres/src/migrate.rs, ensure_migrations_table).
const SQLX_TABLE = `CREATE TABLE IF NOT EXISTS _sqlx_migrations (
  version BIGINT PRIMARY KEY,
  description TEXT NOT NULL,
  installed_on TIMESTAMPTZ NOT NULL DEFAULT now(),
  success BOOLEAN NOT NULL,
  checksum BYTEA NOT NULL,
  execution_time BIGINT NOT NULL
)`;

/** sqlx's checksum of a migration: SHA-384 of the file. */
const checksumOf = (sql: string) => createHash('sha384').update(sql).digest();

/** Good enough for the no-transaction files, which hold plain DDL without functions or quoted `;`. */
function splitStatements(sql: string): string[] {
  const code = sql
    .split('\n')
    .map((line) => line.replace(/--.*$/, ''))
    .join('\n');
  return code
    .split(';')
    .map((s) => s.trim())
    .filter((s) => s.length > 0);
}

async function enumValues(knex: Knex, name: string): Promise<string[]> {
  const { rows } = await knex.raw<{ rows: { label: string }[] }>(
    `SELECT e.enumlabel AS label FROM pg_enum e JOIN pg_type t ON t.oid = e.enumtypid
      WHERE t.typname = ? ORDER BY e.enumsortorder`,
    [name],
  );
  return rows.map((r) => r.label);
}

async function recordShape(server: Server, migrations: readonly MasMigration[]): Promise<RecordedShape> {
  const name = `sab_mas_record_${randomBytes(4).toString('hex')}`;
  await withAdmin(server.adminUrl, (c) => c.query(createDatabaseSql(name)));
  const url = databaseUrl(server.adminUrl, name);
  const knex = knexFactory({ client: 'pg', connection: url, pool: { min: 0, max: 1 } });
  try {
    await applyMigrations(url, migrations);
    const tables: RecordedShape['tables'] = {};
    const uniqueKeys: RecordedShape['uniqueKeys'] = {};
    for (const table of MAS_TABLES) {
      const columns = await describeColumns(knex, table);
      if (columns.length === 0) continue;
      tables[table] = columns;
      uniqueKeys[table] = await describeUniqueKeys(knex, table);
    }
    const enums: Record<string, string[]> = {};
    for (const e of MAS_ENUMS) enums[e] = await enumValues(knex, e);
    return { newestMigration: migrations.at(-1)!.version, tables, uniqueKeys, enums };
  } finally {
    await knex.destroy();
    await withAdmin(server.adminUrl, (c) => c.query(dropDatabaseSql(name)));
  }
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      migrations: { type: 'string' },
      'pg-url': { type: 'string' },
      commit: { type: 'string' },
      out: { type: 'string', default: 'migrations/mas/recorded-schema.json' },
    },
  });
  if (!values.migrations || !values.commit) {
    throw new Error('usage: tsx scripts/mas-schema/record.ts --migrations <MAS checkout>/crates/storage-pg/migrations --commit <MAS commit> [--pg-url URL] [--out FILE]');
  }
  const migrations = await readMigrations(resolve(values.migrations));
  const server = values['pg-url'] ? externalServer(values['pg-url']) : await startEmbedded();
  try {
    const shapes: RecordedSchema['shapes'] = {};
    for (const [shape, selection] of Object.entries(RECORDED_SHAPES)) {
      const upTo = migrations.filter((m) => inShape(selection, m.version));
      console.log(`${shape}: applying ${upTo.length} MAS migrations (${upTo.filter((m) => m.noTransaction).length} without a transaction)`);
      shapes[shape] = await recordShape(server, upTo);
    }
    const recorded: RecordedSchema = {
      source: `element-hq/matrix-authentication-service ${values.commit}, crates/storage-pg/migrations`,
      migrations: migrations.map((m) => ({
        version: m.version,
        description: m.description,
        checksum: checksumOf(m.sql).toString('hex'),
        noTransaction: m.noTransaction,
      })),
      shapes,
    };
    await writeFile(values.out, `${JSON.stringify(recorded, null, 1)}\n`);
    console.log(`wrote ${values.out}: ${migrations.length} migrations, shapes ${Object.keys(shapes).join(', ')}`);
  } finally {
    await server.stop();
  }
}

await main();
