// Knowing MAS's schema before touching it: which MAS release left the database (from sqlx's
// _sqlx_migrations) and which of the columns that differ between releases it has. Like
// src/synapse/schema.ts, it refuses what it does not understand rather than guess.
import type { Knex } from 'knex';
import { SchemaError } from '../errors.js';

/**
 * The newest migration MAS 0.13.0 ships: the oldest MAS we support. 0.13 moved MAS's background
 * jobs to queue_jobs, where the tool hands its changes (provision-user, sync-devices, ...) to MAS's
 * worker; older releases keep jobs elsewhere, so the tool could not reach Synapse through them.
 * can_request_admin (0.3) and compat_sessions.is_synapse_admin (0.1) are older still.
 */
export const OLDEST_SUPPORTED_MAS_MIGRATION = 20250115155255;
export const OLDEST_SUPPORTED_MAS = '0.13.0';
/** The newest migration of MAS 1.22.0 (commit 682b8d26), the newest MAS this tool was tested with. */
export const NEWEST_KNOWN_MAS_MIGRATION = 20260720134722;
export const NEWEST_KNOWN_MAS = '1.22.0';

/**
 * Migrations that change what the tool reads or writes, each with the first release that has it.
 * They were never back-dated, so one missing while a newer migration is applied means MAS has not
 * finished migrating.
 */
export const MAS_SCHEMA_MILESTONES: readonly { version: number; release: string; what: string }[] = [
  { version: 20231009142904, release: '0.3.0', what: 'users.can_request_admin' },
  { version: 20241004121132, release: '0.13.0', what: 'queue_jobs' },
  { version: 20250130170011, release: '0.14.0', what: 'users.is_guest' },
  { version: 20250311093145, release: '0.15.0', what: 'users.deactivated_at' },
  { version: 20250924132713, release: '1.5.0', what: 'personal_sessions' },
  { version: 20260108120030, release: '1.10.0', what: 'user_emails.confirmed_at dropped' },
];

/** Every column the operations use, in every release we support. */
const REQUIRED_COLUMNS: Record<string, readonly string[]> = {
  users: ['user_id', 'username', 'created_at', 'locked_at', 'can_request_admin'],
  user_passwords: ['user_password_id', 'user_id', 'hashed_password', 'created_at', 'version', 'upgraded_from_id'],
  user_emails: ['user_email_id', 'user_id', 'email', 'created_at'],
  user_sessions: ['user_session_id', 'user_id', 'created_at', 'finished_at'],
  compat_sessions: ['compat_session_id', 'user_id', 'device_id', 'created_at', 'finished_at', 'is_synapse_admin', 'user_session_id'],
  compat_access_tokens: ['compat_access_token_id', 'compat_session_id', 'access_token', 'created_at', 'expires_at'],
  oauth2_sessions: ['oauth2_session_id', 'user_id', 'scope_list', 'created_at', 'finished_at'],
  queue_workers: ['queue_worker_id', 'registered_at', 'last_seen_at', 'shutdown_at'],
  queue_jobs: ['queue_job_id', 'status', 'created_at', 'queue_name', 'payload', 'metadata'],
};

const PERSONAL_SESSION_COLUMNS = ['personal_session_id', 'actor_user_id', 'created_at', 'revoked_at'];

export interface MasSchema {
  /** The newest applied migration in _sqlx_migrations, e.g. 20260108120030. */
  newestMigration: number;
  /** The oldest MAS release that has every migration up to newestMigration, e.g. "1.10.0"; for messages. */
  release: string;
  /** Parts that differ between the MAS versions we support. */
  has: {
    /** users.deactivated_at (MAS 0.15+). */
    deactivatedAt: boolean;
    /** users.is_guest (MAS 0.14+). */
    isGuest: boolean;
    /** user_emails.confirmed_at (dropped in MAS 1.10). */
    emailConfirmedAt: boolean;
    /** users.primary_user_email_id (dropped in MAS 1.10). */
    primaryUserEmailId: boolean;
    /** personal_sessions (MAS 1.5+): ended by --logout too. */
    personalSessions: boolean;
    /** compat_sessions.human_name, the device's display name (MAS 0.14+). */
    compatHumanName: boolean;
    /** compat_sessions.device_id may be NULL (MAS 0.14+). */
    devicelessCompatSessions: boolean;
    /** user_unsupported_third_party_ids (MAS 0.14+): where adopt keeps threepids other than email. */
    unsupportedThirdPartyIds: boolean;
  };
  warnings: string[];
}

interface ColumnRow {
  table_name: string;
  column_name: string;
  is_nullable: 'YES' | 'NO';
}

const TABLES = [...Object.keys(REQUIRED_COLUMNS), 'personal_sessions', 'user_unsupported_third_party_ids', '_sqlx_migrations', 'schema_version'];

async function readColumns(db: Knex): Promise<Map<string, Map<string, boolean>>> {
  const { rows } = await db.raw<{ rows: ColumnRow[] }>(
    `SELECT table_name, column_name, is_nullable FROM information_schema.columns
      WHERE table_schema = current_schema() AND table_name = ANY(?)`,
    [TABLES],
  );
  const tables = new Map<string, Map<string, boolean>>();
  for (const row of rows) {
    const columns = tables.get(row.table_name) ?? new Map<string, boolean>();
    columns.set(row.column_name, row.is_nullable === 'YES');
    tables.set(row.table_name, columns);
  }
  return tables;
}

/** The MAS release a supported database's newest migration belongs to, as far as the milestones tell. */
function releaseOf(newest: number): string {
  if (newest >= NEWEST_KNOWN_MAS_MIGRATION) return newest === NEWEST_KNOWN_MAS_MIGRATION ? NEWEST_KNOWN_MAS : `newer than ${NEWEST_KNOWN_MAS}`;
  return `${MAS_SCHEMA_MILESTONES.filter((m) => m.version <= newest).at(-1)!.release} or newer`;
}

const UPGRADE_HINT = 'Start MAS once (it migrates its database on start, or run `mas-cli database migrate`), then retry.';

/** Reads _sqlx_migrations and the columns; throws SchemaError for what we do not understand. */
export async function inspectMasSchema(db: Knex, where: string): Promise<MasSchema> {
  const tables = await readColumns(db);
  const sqlx = tables.get('_sqlx_migrations');
  if (!sqlx?.has('version') || !sqlx.has('success')) {
    const synapse = tables.has('schema_version') ? " It looks like Synapse's database." : '';
    throw new SchemaError(
      `${where} is not a matrix-authentication-service database (no _sqlx_migrations table).${synapse} ` +
        "Check that --mas-database-url, or the database section of MAS's config.yaml, points at MAS's own database. Nothing was changed.",
    );
  }
  if (!tables.has('users') || !tables.has('compat_sessions')) {
    throw new SchemaError(
      `${where} has sqlx migrations but no MAS users or compat_sessions table: it is not a matrix-authentication-service ` +
        "database. Check that --mas-database-url, or the database section of MAS's config.yaml, points at MAS's database. Nothing was changed.",
    );
  }

  const { rows } = await db.raw<{ rows: { version: string; description: string; success: boolean }[] }>(
    'SELECT version, description, success FROM _sqlx_migrations ORDER BY version',
  );
  const failed = rows.find((r) => !r.success);
  if (failed) {
    throw new SchemaError(
      `${where}: MAS's migration ${failed.version} (${failed.description}) did not finish (success = false in _sqlx_migrations). ` +
        `Fix what made it fail (see MAS's log) and let MAS finish migrating: ${UPGRADE_HINT} Nothing was changed.`,
    );
  }
  if (rows.length === 0) {
    throw new SchemaError(`${where} has an empty _sqlx_migrations table: MAS never finished setting it up. ${UPGRADE_HINT}`);
  }
  const applied = new Set(rows.map((r) => Number(r.version)));
  const newestMigration = Number(rows.at(-1)!.version);

  if (newestMigration < OLDEST_SUPPORTED_MAS_MIGRATION) {
    throw new SchemaError(
      `${where} has the schema of a MAS older than ${OLDEST_SUPPORTED_MAS} (newest migration ${newestMigration}); this tool supports MAS ` +
        `${OLDEST_SUPPORTED_MAS} and newer, whose job queue it needs to tell Synapse about changes. ` +
        'Upgrade MAS and start it once (it migrates its database on start), then retry. Nothing was changed.',
    );
  }
  const release = releaseOf(newestMigration);
  const pending = MAS_SCHEMA_MILESTONES.filter((m) => m.version < newestMigration && !applied.has(m.version));
  if (pending.length > 0) {
    throw new SchemaError(
      `${where} has MAS migrations up to ${newestMigration} but not ${pending.map((m) => `${m.version} (${m.what}, MAS ${m.release})`).join(', ')}: ` +
        `MAS has not finished migrating. ${UPGRADE_HINT} Nothing was changed.`,
    );
  }

  const missing = Object.entries(REQUIRED_COLUMNS).flatMap(([table, columns]) =>
    columns.filter((c) => !tables.get(table)?.has(c)).map((c) => `${table}.${c}`),
  );
  if (missing.length > 0) {
    throw new SchemaError(
      `${where} (MAS ${release}, newest migration ${newestMigration}) lacks ${missing.join(', ')}, which this tool uses: ` +
        'it is not a MAS schema this tool understands. Nothing was changed. ' +
        (newestMigration > NEWEST_KNOWN_MAS_MIGRATION ? 'Upgrade synapse-admin-bootstrap.' : 'Check that MAS finished migrating.'),
    );
  }

  const users = tables.get('users')!;
  const compat = tables.get('compat_sessions')!;
  const personal = tables.get('personal_sessions');
  const warnings =
    newestMigration > NEWEST_KNOWN_MAS_MIGRATION
      ? [
          `MAS's database has migration ${newestMigration}, newer than the newest this tool knows (${NEWEST_KNOWN_MAS_MIGRATION}, ` +
            `MAS ${NEWEST_KNOWN_MAS}); every column it uses is there, so it goes on, but check the result.`,
        ]
      : [];
  return {
    newestMigration,
    release,
    has: {
      deactivatedAt: users.has('deactivated_at'),
      isGuest: users.has('is_guest'),
      emailConfirmedAt: tables.get('user_emails')!.has('confirmed_at'),
      primaryUserEmailId: users.has('primary_user_email_id'),
      personalSessions: PERSONAL_SESSION_COLUMNS.every((c) => personal?.has(c)),
      compatHumanName: compat.has('human_name'),
      devicelessCompatSessions: compat.get('device_id') === true,
      unsupportedThirdPartyIds: tables.has('user_unsupported_third_party_ids'),
    },
    warnings,
  };
}
