// Builds the slice of Synapse's database schema that synapse-admin-bootstrap touches, as a given
// Synapse schema version leaves it, for tests and the demo.
import type { Knex } from 'knex';
import { applyStep, prepareLikeSynapse, type SchemaStep } from '../dialect.js';
import { deltas } from './steps/deltas.js';
import { fullSchema72 } from './steps/v72_full_schema.js';
import { schemaVersionTables } from './steps/v00_schema_version.js';

export { dialectOf, type Dialect } from '../dialect.js';
export { describeColumns, describeUniqueKeys } from '../introspect.js';
export { BUILT_TABLES, expectedColumns, expectedUniqueKeys, type ExpectedColumn, type BuiltTable } from './tables.js';

/**
 * 72: the oldest schema we support (Synapse 1.62 to 1.67), as 1.62 creates it;
 * 94: Synapse 1.160's (SCHEMA_VERSION in synapse/storage/schema/__init__.py).
 */
export type SchemaVariant = 72 | 94;

export const SCHEMA_VARIANTS: readonly SchemaVariant[] = [72, 94];

/** SCHEMA_COMPAT_VERSION of the Synapse releases that leave each variant behind. */
export const COMPAT_VERSION: Record<SchemaVariant, number> = { 72: 72, 94: 84 };

const STEPS: readonly SchemaStep[] = [schemaVersionTables, fullSchema72, ...deltas];

function migrationSource(variant: SchemaVariant): Knex.MigrationSource<SchemaStep> {
  return {
    getMigrations: async () => STEPS.filter((step) => step.version <= variant),
    getMigrationName: (step) => step.name,
    getMigration: async (step) => ({
      up: (knex) => applyStep(knex, step),
      // knex insists on a down; Synapse's schema only ever moves forward.
      down: async () => {
        throw new Error(`Synapse schema step ${step.name} cannot be undone`);
      },
    }),
  };
}

/**
 * Brings an empty database, or one built here for an older variant, to `variant`, and records
 * the version as Synapse does: schema_version (variant, upgraded = true, because Synapse reaches
 * both versions through deltas from an older full schema) and schema_compat_version.
 */
export async function migrateTo(knex: Knex, variant: SchemaVariant): Promise<void> {
  await prepareLikeSynapse(knex);
  // knex keeps its bookkeeping in knex_migrations and knex_migrations_lock; Synapse ignores them.
  await knex.migrate.latest({ migrationSource: migrationSource(variant) });
  await knex.transaction(async (trx) => {
    await trx('schema_version').delete();
    await trx('schema_version').insert({ version: variant, upgraded: true });
    await trx('schema_compat_version').delete();
    await trx('schema_compat_version').insert({ compat_version: COMPAT_VERSION[variant] });
  });
}
