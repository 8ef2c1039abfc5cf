// Schema steps carry both dialects' DDL; the choice between them, like every other SQLite and
// PostgreSQL difference, is made by src/database/dialect.ts.
import type { Knex } from 'knex';
import { byDialect, dialectOf, type Dialect } from '../src/database/dialect.js';

export { byDialect, dialectOf, type Dialect };

/** A piece of Synapse's schema, in each dialect's own form. */
export interface SchemaStep {
  /** The Synapse schema version that introduced it (72 = the full schema snapshot). */
  version: number;
  /** Unique, sortable; knex records it once applied. */
  name: string;
  sql: Record<Dialect, readonly string[]>;
}

export async function applyStep(knex: Knex, step: SchemaStep): Promise<void> {
  for (const statement of byDialect(knex, step.sql)) {
    await knex.raw(statement);
  }
}

/** Settings a Synapse-created database carries beyond its tables. */
export async function prepareLikeSynapse(knex: Knex): Promise<void> {
  await byDialect(knex, {
    // Synapse switches every SQLite file to WAL (synapse/storage/engines/sqlite.py); the mode is
    // stored in the file, so tools opening it meet the -wal and -shm side files.
    sqlite: async () => void (await knex.raw('PRAGMA journal_mode = WAL')),
    postgres: async () => undefined,
  })();
}
