// Decides whether a database is a Synapse database we understand, and which optional columns it has.
import type { Knex } from 'knex';
import { dialectOf, rawRows, tableColumns } from '../database/dialect.js';
import { SchemaError } from '../errors.js';
import { TOOL_TABLES, type ToolTable } from './tables.js';

/** The oldest full schema Synapse ships (synapse/storage/schema/main/full_schemas/72). */
export const OLDEST_SUPPORTED_SCHEMA = 72;
/** The newest schema version the tool was tested against (Synapse 1.160). */
export const NEWEST_TESTED_SCHEMA = 94;

const REQUIRED_USER_COLUMNS = ['name', 'password_hash', 'creation_ts', 'admin', 'is_guest', 'deactivated', 'appservice_id'];

export interface SchemaInfo {
  version: number;
  compatVersion: number | null;
  /** Column names of each table the tool reads or writes; a missing table has an empty set. */
  columns: Record<ToolTable, Set<string>>;
  warnings: string[];
}


export async function inspectSchema(db: Knex, where: string): Promise<SchemaInfo> {
  const dialect = dialectOf(db);
  // One after another: `db` is a transaction, one connection, which takes one query at a time.
  const columns = {} as Record<ToolTable, Set<string>>;
  for (const t of TOOL_TABLES) columns[t] = await tableColumns(db, t);
  const versionColumns = await tableColumns(db, 'schema_version');
  if (!versionColumns.has('version') || columns.users.size === 0) {
    throw new SchemaError(
      `${where} is not a Synapse database (no schema_version or users table). Check that the config points at Synapse's database.`,
    );
  }
  const missing = REQUIRED_USER_COLUMNS.filter((c) => !columns.users.has(c));
  if (missing.length > 0) {
    throw new SchemaError(
      `${where} has a users table without ${missing.join(', ')}: it is not a Synapse database this tool understands. Nothing was changed.`,
    );
  }
  const [row] = rawRows<{ version: number | string }>(dialect, await db.raw('SELECT version FROM schema_version'));
  if (row === undefined) {
    throw new SchemaError(`${where} has an empty schema_version table: Synapse never finished setting it up. Start Synapse once, then retry.`);
  }
  const version = Number(row.version);
  if (version < OLDEST_SUPPORTED_SCHEMA) {
    throw new SchemaError(
      `${where} has Synapse schema version ${version}; this tool supports ${OLDEST_SUPPORTED_SCHEMA} and newer. ` +
        'Upgrade Synapse (start the newer version once so it migrates the database), then retry.',
    );
  }
  const compatVersion = await readCompatVersion(db, dialect);
  if (compatVersion !== null && compatVersion > NEWEST_TESTED_SCHEMA) {
    throw new SchemaError(
      `${where} was written by a Synapse whose schema (compat version ${compatVersion}) is newer than this tool understands ` +
        `(up to ${NEWEST_TESTED_SCHEMA}). Nothing was changed. Upgrade synapse-admin-bootstrap.`,
    );
  }
  const warnings =
    version > NEWEST_TESTED_SCHEMA
      ? [`Schema version ${version} is newer than the newest this tool was tested with (${NEWEST_TESTED_SCHEMA}); it stays compatible, but check the result.`]
      : [];
  return { version, compatVersion, columns, warnings };
}

async function readCompatVersion(db: Knex, dialect: ReturnType<typeof dialectOf>): Promise<number | null> {
  if (!(await tableColumns(db, 'schema_compat_version')).has('compat_version')) return null;
  const [row] = rawRows<{ compat_version: number | string }>(
    dialect,
    await db.raw('SELECT compat_version FROM schema_compat_version'),
  );
  return row === undefined ? null : Number(row.compat_version);
}
