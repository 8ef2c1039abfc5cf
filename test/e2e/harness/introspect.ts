import type { Knex } from 'knex';
import { dialectOf } from '../../../migrations/dialect.js';
import { run } from './exec.js';
import path from 'node:path';
import type { PgServer } from './postgres.js';

export interface Column {
  /** The declared type (SQLite) or information_schema data_type (PostgreSQL), lower case. */
  type: string;
  notNull: boolean;
  hasDefault: boolean;
}

export type Schema = Map<string, Map<string, Column>>;

// Bookkeeping of the migration runner, not part of Synapse's schema.
const IGNORED_TABLES = /^(knex_migrations|knex_migrations_lock|sqlite_.*)$/;

export async function readSchema(db: Knex): Promise<Schema> {
  const schema: Schema = new Map();
  const add = (table: string, column: string, info: Column) => {
    if (IGNORED_TABLES.test(table)) return;
    if (!schema.has(table)) schema.set(table, new Map());
    schema.get(table)!.set(column, info);
  };
  const dialect = dialectOf(db);
  switch (dialect) {
    case 'sqlite': {
      const tables: { name: string }[] = await db.raw("SELECT name FROM sqlite_master WHERE type = 'table'");
      for (const { name } of tables) {
        const columns: { name: string; type: string; notnull: number; dflt_value: unknown }[] =
          await db.raw(`PRAGMA table_info(${JSON.stringify(name)})`);
        for (const c of columns) add(name, c.name, { type: c.type.toLowerCase(), notNull: c.notnull === 1, hasDefault: c.dflt_value !== null });
      }
      return schema;
    }
    case 'postgres': {
      const { rows } = (await db.raw(
        `SELECT table_name, column_name, data_type, is_nullable, column_default
           FROM information_schema.columns WHERE table_schema = current_schema()`,
      )) as { rows: { table_name: string; column_name: string; data_type: string; is_nullable: string; column_default: string | null }[] };
      for (const r of rows) add(r.table_name, r.column_name, { type: r.data_type.toLowerCase(), notNull: r.is_nullable === 'NO', hasDefault: r.column_default !== null });
      return schema;
    }
    default:
      return dialect satisfies never;
  }
}

/**
 * SQLite compares by type affinity (its own rules, sqlite.org/datatype3.html section 3.1): that is
 * all SQLite itself enforces. PostgreSQL types must match exactly.
 */
export function typeClass(dialect: 'sqlite' | 'postgres', type: string): string {
  if (dialect === 'postgres') return type;
  const t = type.toUpperCase();
  if (t.includes('INT')) return 'integer';
  if (/CHAR|CLOB|TEXT/.test(t)) return 'text';
  if (t === '' || t.includes('BLOB')) return 'blob';
  if (/REAL|FLOA|DOUB/.test(t)) return 'real';
  return 'numeric';
}

/** The whole schema as SQL text, for reading beside our migrations. */
export async function dumpSchema(db: Knex, pg?: { server: PgServer; database: string }): Promise<string> {
  if (!pg) {
    const rows: { sql: string | null }[] = await db.raw(
      "SELECT sql FROM sqlite_master WHERE sql IS NOT NULL ORDER BY CASE type WHEN 'table' THEN 0 ELSE 1 END, tbl_name, name",
    );
    return rows.map((r) => `${r.sql};\n`).join('');
  }
  const result = await run(
    path.join(pg.server.binDir, 'pg_dump'),
    ['--schema-only', '--no-owner', '--no-privileges', '-h', '127.0.0.1', '-p', String(pg.server.port), '-U', pg.server.user, pg.database],
    { env: { ...process.env, PGPASSWORD: pg.server.password } },
  );
  if (result.code !== 0) throw new Error(`pg_dump failed: ${result.stderr}`);
  return result.stdout;
}
