// Every difference between SQLite and PostgreSQL that the tool cares about lives here.
import type { Knex } from 'knex';
import type { DatabaseSettings } from '../config/types.js';

export type Dialect = DatabaseSettings['engine'];

export function dialectOf(db: Knex): Dialect {
  // The knex dialect, not the driver name: better-sqlite3 and sqlite3 are both "sqlite3".
  const name = (db.client as { dialect: string }).dialect;
  if (name === 'sqlite3') return 'sqlite';
  if (name === 'postgresql') return 'postgres';
  throw new Error(`Synapse runs on SQLite or PostgreSQL, not on knex dialect "${name}"`);
}

/**
 * Synapse declares users.shadow_banned, approved, locked and suspended as BOOLEAN. SQLite stores
 * them as 0/1 (and better-sqlite3 cannot bind a JS boolean); PostgreSQL wants a real boolean.
 */
export function sqlBool(dialect: Dialect, value: boolean): boolean | number {
  switch (dialect) {
    case 'sqlite':
      return value ? 1 : 0;
    case 'postgres':
      return value;
    default:
      return dialect satisfies never;
  }
}

export async function tableColumns(db: Knex, table: string): Promise<Set<string>> {
  const dialect = dialectOf(db);
  const sql =
    dialect === 'sqlite'
      ? 'SELECT name FROM pragma_table_info(?)'
      : `SELECT column_name AS name FROM information_schema.columns
         WHERE table_schema = current_schema() AND table_name = ?`;
  const rows = rawRows<{ name: string }>(dialect, await db.raw(sql, [table]));
  return new Set(rows.map((r) => r.name));
}

/**
 * Writes a user's row in Synapse's full-text user directory index, in the form Synapse itself
 * writes it (synapse/storage/databases/main/user_directory.py, _update_profiles_in_user_dir_txn).
 * `indexedName` is the display name already lowercased and NFKC-normalised, or null.
 */
export async function upsertUserDirectorySearch(
  db: Knex,
  userId: string,
  localpart: string,
  serverName: string,
  indexedName: string | null,
): Promise<void> {
  const dialect = dialectOf(db);
  switch (dialect) {
    case 'sqlite':
      // An FTS4 table has no unique key to upsert on.
      await db('user_directory_search').where({ user_id: userId }).delete();
      await db('user_directory_search').insert({
        user_id: userId,
        value: indexedName === null ? userId : `${userId} ${indexedName}`,
      });
      return;
    case 'postgres':
      await db.raw(
        `INSERT INTO user_directory_search(user_id, vector)
         VALUES (?, setweight(to_tsvector('simple', ?), 'A')
                 || setweight(to_tsvector('simple', ?), 'D')
                 || setweight(to_tsvector('simple', COALESCE(?, '')), 'B'))
         ON CONFLICT (user_id) DO UPDATE SET vector = EXCLUDED.vector`,
        [userId, localpart, serverName, indexedName],
      );
      return;
    default:
      return dialect satisfies never;
  }
}

/**
 * Makes concurrent copies of the tool take turns until the caller's transaction ends, so that
 * reading MAX(id) and inserting above it is one step (access_tokens.id). SQLite's BEGIN IMMEDIATE
 * already lets one writer in at a time; on PostgreSQL a transaction-scoped advisory lock does,
 * and lock_timeout bounds the wait. Synapse takes no advisory locks, so it never waits on ours.
 */
export async function serializeToolWriters(db: Knex): Promise<void> {
  const dialect = dialectOf(db);
  switch (dialect) {
    case 'sqlite':
      return;
    case 'postgres':
      await db.raw('SELECT pg_advisory_xact_lock(?)', [TOOL_ADVISORY_LOCK]);
      return;
    default:
      return dialect satisfies never;
  }
}

// A fixed key of our own ("sab" and a 1); any other program that picks it would only wait on us.
const TOOL_ADVISORY_LOCK = 0x73616201;

/** Rows from a raw SELECT, whichever driver ran it. */
export function rawRows<T>(dialect: Dialect, result: unknown): T[] {
  switch (dialect) {
    case 'sqlite':
      return result as T[];
    case 'postgres':
      return (result as { rows: T[] }).rows;
    default:
      return dialect satisfies never;
  }
}
