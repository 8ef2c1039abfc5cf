// The one place where SQLite and PostgreSQL part ways: every schema step carries both dialects'
// DDL, and only this module chooses between them.
import type { Knex } from 'knex';
import { dialectOf, type Dialect } from '../src/database/dialect.js';

export { dialectOf, type Dialect };

/** A piece of Synapse's schema, in each dialect's own form. */
export interface SchemaStep {
  /** The Synapse schema version that introduced it (72 = the full schema snapshot). */
  version: number;
  /** Unique, sortable; knex records it once applied. */
  name: string;
  sql: Record<Dialect, readonly string[]>;
}

/** Picks the given dialect's variant of something. */
export function byDialect<T>(knex: Knex, variants: Record<Dialect, T>): T {
  return variants[dialectOf(knex)];
}

export async function applyStep(knex: Knex, step: SchemaStep): Promise<void> {
  for (const statement of byDialect(knex, step.sql)) {
    await knex.raw(statement);
  }
}

/** Settings a Synapse-created database carries beyond its tables. */
export async function prepareLikeSynapse(knex: Knex): Promise<void> {
  const dialect = dialectOf(knex);
  switch (dialect) {
    case 'sqlite':
      // Synapse switches every SQLite file to WAL (synapse/storage/engines/sqlite.py); the mode
      // is stored in the file, so tools opening it meet the -wal and -shm side files.
      await knex.raw('PRAGMA journal_mode = WAL');
      return;
    case 'postgres':
      return;
    default:
      dialect satisfies never;
  }
}
