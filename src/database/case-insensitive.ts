// Case-insensitive lookups as Synapse (get_users_by_id_case_insensitive) and MAS (find_by_username)
// make them: lower() on both sides, in the database. Which names count as one is the database's
// lower(): SQLite's changes only A-Z, PostgreSQL's follows the database's LC_CTYPE (A-Z only under
// the C locale Synapse requires). JavaScript's toLowerCase would also fold Ä to ä, and then miss
// a stored @Äb that the single-user lookup finds.
import type { Knex } from 'knex';
import { LOOKUP_BATCH, slices } from './batches.js';
import { byDialect, type Dialect } from './dialect.js';

// Both SQLite and PostgreSQL name a VALUES list's column column1. On SQLite the wanted values and
// their lower() are materialized first, so that it indexes them for the join (an automatic index)
// and scans the table once; a plain subquery is flattened into the join and compares every row of
// the table with every wanted value (measured: 189 s instead of 0.1 s for 5,000 of 200,000).
// PostgreSQL hashes or sorts the list either way, and before version 12 knows no MATERIALIZED.
const WITH = { sqlite: 'withMaterialized', postgres: 'with' } as const satisfies Record<Dialect, string>;
const WANTED = 'sab_wanted';
const wantedValues = (count: number) =>
  `SELECT column1 AS wanted, lower(column1) AS wanted_lower FROM (VALUES ${Array(count).fill('(?)').join(', ')}) AS listed`;

/**
 * The rows of `query()` (a query on `db`) whose `column` matches one of `wanted` as
 * `lower(column) = lower(?)` would, grouped by the wanted value each matched (a row may match
 * several). The set-based form of the single lookup: one statement per LOOKUP_BATCH values.
 */
export async function rowsMatchingLower<T extends Record<string, unknown>>(
  db: Knex,
  query: () => Knex.QueryBuilder,
  column: string,
  wanted: readonly string[],
): Promise<Map<string, T[]>> {
  const out = new Map<string, T[]>();
  for (const slice of slices([...new Set(wanted)], LOOKUP_BATCH)) {
    const listed = db.raw(wantedValues(slice.length), slice);
    const rows: Array<T & { [WANTED]: string }> = await query()
      [byDialect(db, WITH)](WANTED, listed)
      .select({ [WANTED]: `${WANTED}.wanted` })
      .joinRaw(`JOIN ${WANTED} ON lower(??) = ${WANTED}.wanted_lower`, [column]);
    for (const { [WANTED]: matched, ...row } of rows) {
      const list = out.get(matched);
      if (list === undefined) out.set(matched, [row as unknown as T]);
      else list.push(row as unknown as T);
    }
  }
  return out;
}

/**
 * The row a case-insensitive lookup of `wanted` means, as Synapse's and MAS's lookups choose it:
 * the exact spelling, else the only match. `ambiguous` when several differ only in case and none
 * is exact (nothing is chosen then).
 */
export function chooseSpelling<T>(wanted: string, rows: readonly T[], spelling: (row: T) => string): { row?: T; ambiguous: boolean } {
  const row = rows.find((r) => spelling(r) === wanted) ?? (rows.length === 1 ? rows[0] : undefined);
  return row === undefined ? { ambiguous: rows.length > 1 } : { row, ambiguous: false };
}
