// Builds the slice of matrix-authentication-service's database that synapse-admin-bootstrap
// touches, as a given MAS release leaves it, for tests and the demo. PostgreSQL only, as MAS.
import type { Knex } from 'knex';
import recordedJson from './recorded-schema.json' with { type: 'json' };
import { inShape, RECORDED_SHAPES, type RecordedSchema } from './recorded.js';
import type { MasStep } from './steps.js';
import { laterSteps } from './steps/later.js';
import { mas013 } from './steps/v0_13.js';

export { BACKDATED_MIGRATIONS, MAS_ENUMS, MAS_TABLES, RECORDED_SHAPES, type MasTable, type RecordedSchema } from './recorded.js';

/** The recorded description of MAS's real schema (scripts/mas-schema/record.ts). */
export const RECORDED = recordedJson as RecordedSchema;

/**
 * '1.22': MAS 1.22.0 (commit 682b8d26), the newest we know;
 * '0.13': MAS 0.13.0, the oldest we support (before users.is_guest and deactivated_at, with
 * users.primary_user_email_id, user_emails.confirmed_at and NOT NULL compat device ids).
 */
export type MasVariant = keyof typeof RECORDED_SHAPES;

export const MAS_VARIANTS: readonly MasVariant[] = ['0.13', '1.22'];
export const CURRENT_MAS_VARIANT: MasVariant = '1.22';

const STEPS: readonly MasStep[] = [mas013, ...laterSteps];

function migrationSource(variant: MasVariant): Knex.MigrationSource<MasStep> {
  const newest = RECORDED.shapes[variant]!.newestMigration;
  return {
    getMigrations: async () => STEPS.filter((step) => step.version <= newest),
    getMigrationName: (step) => step.name,
    getMigration: async (step) => ({
      up: async (knex) => {
        for (const statement of step.sql) await knex.raw(statement);
      },
      down: async () => {
        throw new Error(`MAS schema step ${step.name} cannot be undone`);
      },
    }),
  };
}

/**
 * The sqlx bookkeeping table as sqlx-postgres creates it, filled with the migrations `variant`'s
 * release has applied: real versions, descriptions and checksums, so MAS itself would find
 * nothing to do.
 */
async function recordSqlxMigrations(knex: Knex, variant: MasVariant): Promise<void> {
  await knex.raw(`CREATE TABLE IF NOT EXISTS _sqlx_migrations (
    version BIGINT PRIMARY KEY,
    description TEXT NOT NULL,
    installed_on TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(),
    success BOOLEAN NOT NULL,
    checksum BYTEA NOT NULL,
    execution_time BIGINT NOT NULL
  )`);
  const rows = RECORDED.migrations
    .filter((m) => inShape(RECORDED_SHAPES[variant], m.version))
    .map((m) => ({
      version: m.version,
      description: m.description,
      success: true,
      checksum: Buffer.from(m.checksum, 'hex'),
      execution_time: 1_000_000,
    }));
  await knex('_sqlx_migrations').insert(rows).onConflict('version').ignore();
}

/** Brings an empty PostgreSQL database (or one built here for an older variant) to `variant`. */
export async function migrateMasTo(knex: Knex, variant: MasVariant): Promise<void> {
  // knex keeps its bookkeeping in knex_migrations and knex_migrations_lock; MAS ignores them.
  await knex.migrate.latest({ migrationSource: migrationSource(variant) });
  await recordSqlxMigrations(knex, variant);
}
