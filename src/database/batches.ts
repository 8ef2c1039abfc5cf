// Statements over many rows go in slices: one statement per slice instead of one per row, and
// each slice small enough for the bind-parameter limits (SQLite 32766, PostgreSQL 65535).

/**
 * Rows per multi-row INSERT: knex writes SQLite's as one compound SELECT, which SQLite caps at
 * 500 terms (SQLITE_MAX_COMPOUND_SELECT); a users row binds about ten values.
 */
export const INSERT_BATCH = 500;
/** Values per `IN (...)` list: each list is one pass over the table when no index serves it. */
export const LOOKUP_BATCH = 5000;

export function* slices<T>(items: readonly T[], size: number): Generator<T[]> {
  for (let i = 0; i < items.length; i += size) yield items.slice(i, i + size);
}
