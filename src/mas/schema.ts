// Knowing MAS's schema before touching it. (STUB: helper "mas-schema" implements.)
import type { Knex } from 'knex';

export interface MasSchema {
  /** The newest applied migration in _sqlx_migrations, e.g. 20260108120030. */
  newestMigration: number;
  /** Parts that differ between the MAS versions we support. */
  has: {
    /** users.deactivated_at (MAS ~0.15+). */
    deactivatedAt: boolean;
    /** users.is_guest. */
    isGuest: boolean;
    /** user_emails.confirmed_at (dropped in MAS ~1.10). */
    emailConfirmedAt: boolean;
    /** personal_sessions (MAS 1.5+): ended by --logout too. */
    personalSessions: boolean;
  };
  warnings: string[];
}

/** Reads _sqlx_migrations and the columns; throws SchemaError for what we do not understand. */
export async function inspectMasSchema(_db: Knex, _where: string): Promise<MasSchema> {
  throw new Error('inspectMasSchema: not implemented yet');
}
