// Every difference between SQLite and PostgreSQL below Synapse's own SQL lives here: which knex
// client, transactions and locks, how booleans are written and read, raw rows, and where the
// columns of a table are listed. A Record<Dialect, ...> makes the compiler prove each is covered.
import type { Knex } from 'knex';

export type Dialect = 'sqlite' | 'postgres';

export function dialectOf(db: Knex): Dialect {
  // The knex dialect, not the driver name: better-sqlite3 and sqlite3 are both "sqlite3".
  const name = (db.client as { dialect: string }).dialect;
  if (name === 'sqlite3') return 'sqlite';
  if (name === 'postgresql') return 'postgres';
  throw new Error(`Synapse runs on SQLite or PostgreSQL, not on knex dialect "${name}"`);
}

/** Picks the variant for a dialect (or for the dialect of a handle). */
export function byDialect<T>(of: Dialect | Knex, variants: Record<Dialect, T>): T {
  return variants[typeof of === 'string' ? of : dialectOf(of)];
}

/** The knex client that drives each dialect. */
export const KNEX_CLIENT = { sqlite: 'better-sqlite3', postgres: 'pg' } as const satisfies Record<Dialect, string>;

/**
 * Synapse declares users.shadow_banned, approved, locked and suspended as BOOLEAN. SQLite stores
 * them as 0/1 (and better-sqlite3 cannot bind a JS boolean); PostgreSQL wants a real boolean.
 */
export function sqlBool(dialect: Dialect, value: boolean): boolean | number {
  return byDialect<boolean | number>(dialect, { sqlite: value ? 1 : 0, postgres: value });
}

/**
 * A flag as read back: SQLite gives 0/1, PostgreSQL true/false for BOOLEAN and 0/1 for Synapse's
 * older SMALLINT flags (users.admin, deactivated, is_guest).
 */
export function readBool(value: unknown): boolean {
  return value === true || value === 1 || value === '1' || value === 't' || value === 'true';
}

/** Rows from a raw SELECT, whichever driver ran it. */
export function rawRows<T>(dialect: Dialect, result: unknown): T[] {
  return byDialect(dialect, {
    sqlite: () => result as T[],
    postgres: () => (result as { rows: T[] }).rows,
  })();
}

const COLUMNS_SQL: Record<Dialect, string> = {
  sqlite: 'SELECT name FROM pragma_table_info(?)',
  postgres: `SELECT column_name AS name FROM information_schema.columns
             WHERE table_schema = current_schema() AND table_name = ?`,
};

/** The table's column names; empty when there is no such table. */
export async function tableColumns(db: Knex, table: string): Promise<Set<string>> {
  const dialect = dialectOf(db);
  const rows = rawRows<{ name: string }>(dialect, await db.raw(COLUMNS_SQL[dialect], [table]));
  return new Set(rows.map((r) => r.name));
}

// How long one statement may wait for a lock, and run, on PostgreSQL: a busy database ends the
// command with "try again" (exit 4) instead of leaving it hanging.
const PG_LOCK_TIMEOUT_MS = 10_000;
const PG_STATEMENT_TIMEOUT_MS = 60_000;

/**
 * The limits go into each transaction, not the session: a pooler such as pgbouncer refuses them as
 * startup parameters or silently drops them, and in transaction pooling a session-level SET would
 * land on whichever server connection the pooler picked, then stay there for its next client.
 * SET LOCAL ends with the transaction, through any pooler.
 */
async function limitTransaction(trx: Knex): Promise<void> {
  await trx.raw("SELECT set_config('lock_timeout', ?, true), set_config('statement_timeout', ?, true)", [
    `${PG_LOCK_TIMEOUT_MS}ms`,
    `${PG_STATEMENT_TIMEOUT_MS}ms`,
  ]);
}

/**
 * When BEGIN itself fails (a pooler that refuses transactions, a dropped connection), knex still
 * hands over the transaction, already finished, and keeps the server's error aside: without this,
 * the next statement would fail with knex's "Transaction query already complete" instead.
 */
async function begin(db: Knex, config?: Knex.TransactionConfig): Promise<Knex.Transaction> {
  const trx = await db.transaction(config);
  if (trx.isCompleted()) await trx.executionPromise;
  return trx;
}

type Transaction = <T>(db: Knex, dryRun: boolean, fn: (trx: Knex) => Promise<T>) => Promise<T>;

const TRANSACTION: Record<Dialect, Transaction> = {
  // The single in-process connection cannot drop halfway. IMMEDIATE takes the write lock up front,
  // so a concurrent writer makes us wait (busy_timeout) rather than fail midway.
  sqlite: async (db, dryRun, fn) => {
    await db.raw('BEGIN IMMEDIATE');
    try {
      const result = await fn(db);
      await db.raw(dryRun ? 'ROLLBACK' : 'COMMIT');
      return result;
    } catch (err) {
      await db.raw('ROLLBACK').catch(() => undefined);
      throw err;
    }
  },
  // A knex transaction pins its connection: if the connection drops, the statements after it fail
  // instead of running, and committing, outside the transaction.
  postgres: async (db, dryRun, fn) => {
    const trx = await begin(db);
    try {
      await limitTransaction(trx);
      const result = await fn(trx);
      await (dryRun ? trx.rollback() : trx.commit());
      return result;
    } catch (err) {
      await trx.rollback().catch(() => undefined);
      throw err;
    }
  },
};

/** Runs `fn` in one transaction, committed, or rolled back when `dryRun`. */
export function transaction<T>(db: Knex, dryRun: boolean, fn: (trx: Knex) => Promise<T>): Promise<T> {
  return TRANSACTION[dialectOf(db)](db, dryRun, fn);
}

type Reading = <T>(db: Knex, fn: (trx: Knex) => Promise<T>) => Promise<T>;

const READING: Record<Dialect, Reading> = {
  // Reads take no lock up front: BEGIN IMMEDIATE would make them wait for Synapse's writers.
  sqlite: (db, fn) => fn(db),
  // READ ONLY in the transaction itself, not default_transaction_read_only in the startup packet,
  // which a pooler refuses or drops: then a read could write. Inside one already, it is that one's.
  postgres: async (db, fn) => {
    if (db.isTransaction) return fn(db);
    const trx = await begin(db, { readOnly: true });
    try {
      await limitTransaction(trx);
      return await fn(trx);
    } finally {
      await trx.rollback().catch(() => undefined);
    }
  },
};

/** Runs `fn` where it can only read: on PostgreSQL a READ ONLY transaction, rolled back at the end. */
export function reading<T>(db: Knex, fn: (trx: Knex) => Promise<T>): Promise<T> {
  return READING[dialectOf(db)](db, fn);
}

// A fixed key of our own ("sab" and a 1); any other program that picks it would only wait on us.
const TOOL_ADVISORY_LOCK = 0x73616201;

/**
 * Makes concurrent copies of the tool take turns until the caller's transaction ends, so that
 * reading MAX(id) and inserting above it is one step (access_tokens.id). SQLite's BEGIN IMMEDIATE
 * already lets one writer in at a time; on PostgreSQL a transaction-scoped advisory lock does,
 * and lock_timeout bounds the wait. Synapse takes no advisory locks, so it never waits on ours.
 */
export async function serializeToolWriters(db: Knex): Promise<void> {
  await byDialect(db, {
    sqlite: async () => undefined,
    postgres: async () => void (await db.raw('SELECT pg_advisory_xact_lock(?)', [TOOL_ADVISORY_LOCK])),
  })();
}
