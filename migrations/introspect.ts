// Reads a table's shape back from the database in the normalised form of tables.ts, so that the
// migrations and a real Synapse database can both be compared with the expectations.
import type { Knex } from 'knex';
import { byDialect } from './dialect.js';
import type { ExpectedColumn } from './synapse/tables.js';

interface RawColumn {
  name: string;
  type: string;
  notNull: boolean | number;
  default: string | null;
}

function normaliseDefault(raw: string | null): string | null {
  if (raw === null) return null;
  const value = raw.replace(/::[a-z_ ]+/gi, '').trim().toLowerCase();
  return value === 'null' ? null : value;
}

const columnQueries = {
  sqlite: (knex: Knex, table: string) =>
    knex.raw<RawColumn[]>(
      'SELECT name, type, "notnull" AS "notNull", dflt_value AS "default" FROM pragma_table_info(?)',
      [table],
    ),
  postgres: async (knex: Knex, table: string) =>
    (
      await knex.raw<{ rows: RawColumn[] }>(
        `SELECT a.attname AS name, format_type(a.atttypid, a.atttypmod) AS type,
                a.attnotnull AS "notNull", pg_get_expr(d.adbin, d.adrelid) AS "default"
           FROM pg_attribute a
           JOIN pg_class c ON c.oid = a.attrelid
           LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
          WHERE c.relname = ? AND pg_table_is_visible(c.oid) AND a.attnum > 0 AND NOT a.attisdropped`,
        [table],
      )
    ).rows,
};

/** The table's columns sorted by name; empty when there is no such table. */
export async function describeColumns(knex: Knex, table: string): Promise<ExpectedColumn[]> {
  const rows = await byDialect(knex, columnQueries)(knex, table);
  return rows
    .map((row) => ({
      name: row.name.toLowerCase(),
      type: row.type.toLowerCase(),
      notNull: Boolean(row.notNull),
      default: normaliseDefault(row.default),
    }))
    .sort((a, b) => a.name.localeCompare(b.name));
}

const uniqueKeyQueries = {
  sqlite: (knex: Knex, table: string) =>
    knex.raw<{ columns: string }[]>(
      `SELECT group_concat(lower(info.name), ',') AS columns
         FROM pragma_index_list(?) AS list, pragma_index_info(list.name) AS info
        WHERE list."unique" = 1 AND list.partial = 0
        GROUP BY list.name`,
      [table],
    ),
  postgres: async (knex: Knex, table: string) =>
    (
      await knex.raw<{ rows: { columns: string }[] }>(
        `SELECT array_to_string(array(
                  SELECT a.attname FROM unnest(i.indkey::int2[]) WITH ORDINALITY AS k(attnum, ord)
                    JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = k.attnum
                   ORDER BY k.ord), ',') AS columns
           FROM pg_index i
           JOIN pg_class c ON c.oid = i.indrelid
          WHERE c.relname = ? AND pg_table_is_visible(c.oid) AND i.indisunique AND i.indpred IS NULL`,
        [table],
      )
    ).rows,
};

/** The column sets a unique index or constraint covers, each as "a,b", sorted, without repeats. */
export async function describeUniqueKeys(knex: Knex, table: string): Promise<string[]> {
  const rows = await byDialect(knex, uniqueKeyQueries)(knex, table);
  return [...new Set(rows.map((row) => row.columns))].sort();
}
