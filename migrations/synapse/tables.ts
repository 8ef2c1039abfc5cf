// The columns and unique keys of every Synapse table the test migrations build (each table the
// tool reads or writes, src/synapse/tables.ts, plus schema bookkeeping and the tables a real
// Synapse keeps beside them), per schema version and dialect: what the migrations must build and
// what a real Synapse database must have.
// Sources: what Synapse 1.62 creates (full schema 54 and deltas 55 to 72 at v1.62.0),
// synapse/storage/schema/common/schema_version.sql and the deltas named in steps/deltas.ts.
import type { ToolTable } from '../../src/synapse/tables.js';
import type { Dialect } from '../dialect.js';

export interface ColumnFacts {
  /** PostgreSQL: format_type(); SQLite: the declared type. Lower case. */
  type: string;
  notNull: boolean;
  /** The default expression in lower case without casts (`0`, `false`, `'x'`); null for none. */
  default: string | null;
}

export interface ExpectedColumn extends ColumnFacts {
  name: string;
}

interface ColumnSpec extends Partial<Omit<ColumnFacts, 'type'>> {
  name: string;
  /** PostgreSQL's spelling; SQLite's declared type is the same unless `sqlite` says otherwise. */
  type: string;
  /** The schema version that added it. */
  since?: number;
  sqlite?: Partial<ColumnFacts> | 'absent';
  postgres?: Partial<ColumnFacts> | 'absent';
  /** What the column was on SQLite before schema `version` changed it. */
  sqliteBefore?: { version: number } & Partial<ColumnFacts>;
}

interface UniqueSpec {
  columns: readonly string[];
  since?: number;
  only?: Dialect;
  /** Built by this background update, which runs in the first minutes after Synapse starts. */
  backgroundUpdate?: string;
}

export interface TableSpec {
  columns: readonly ColumnSpec[];
  unique: readonly UniqueSpec[];
}

const lock: ColumnSpec = { name: 'lock', type: 'character(1)', notNull: true, default: "'x'", sqlite: { type: 'char(1)' } };
const text = (name: string, notNull = false): ColumnSpec => ({ name, type: 'text', notNull });
const bigint = (name: string, notNull = false): ColumnSpec => ({ name, type: 'bigint', notNull });
// SQLite's "id BIGINT PRIMARY KEY" is no rowid alias and declares no NOT NULL.
const bigintKey = (name: string): ColumnSpec => ({ ...bigint(name, true), sqlite: { notNull: false } });

export const BUILT_TABLES = {
  schema_version: {
    columns: [lock, { name: 'version', type: 'integer', notNull: true }, { name: 'upgraded', type: 'boolean', notNull: true, sqlite: { type: 'bool' } }],
    unique: [{ columns: ['lock'] }],
  },
  schema_compat_version: {
    columns: [lock, { name: 'compat_version', type: 'integer', notNull: true }],
    unique: [{ columns: ['lock'] }],
  },
  applied_schema_deltas: {
    columns: [{ name: 'version', type: 'integer', notNull: true }, text('file', true)],
    unique: [{ columns: ['version', 'file'] }],
  },
  users: {
    columns: [
      text('name'),
      text('password_hash'),
      bigint('creation_ts'),
      { name: 'admin', type: 'smallint', notNull: true, default: '0' },
      bigint('upgrade_ts'),
      { name: 'is_guest', type: 'smallint', notNull: true, default: '0' },
      text('appservice_id'),
      text('consent_version'),
      text('consent_server_notice_sent'),
      text('user_type'),
      { name: 'deactivated', type: 'smallint', notNull: true, default: '0' },
      { name: 'shadow_banned', type: 'boolean' },
      // Delta 72/06, which Synapse 1.68 shipped: 1.62 to 1.67 have no consent_ts.
      { ...bigint('consent_ts'), since: 73 },
      { name: 'approved', type: 'boolean', since: 73 },
      { name: 'locked', type: 'boolean', notNull: true, default: 'false', since: 80 },
      { name: 'suspended', type: 'boolean', notNull: true, default: 'false', since: 85 },
    ],
    unique: [{ columns: ['name'] }],
  },
  profiles: {
    columns: [
      text('user_id', true),
      text('displayname'),
      text('avatar_url'),
      // Enforced by the PostgreSQL CHECK full_user_id_not_null (NOT VALID), not by NOT NULL.
      { ...text('full_user_id'), since: 76 },
      { name: 'fields', type: 'jsonb', since: 88 },
    ],
    unique: [
      { columns: ['user_id'] },
      { columns: ['full_user_id'], since: 76, backgroundUpdate: 'profiles_full_user_id_key_idx' },
    ],
  },
  user_directory: {
    columns: [text('user_id', true), text('room_id'), text('display_name'), text('avatar_url')],
    unique: [{ columns: ['user_id'] }],
  },
  user_directory_search: {
    columns: [
      { ...text('user_id', true), sqlite: { type: '', notNull: false } },
      { name: 'value', type: '', postgres: 'absent' },
      { name: 'vector', type: 'tsvector', sqlite: 'absent' },
    ],
    unique: [{ columns: ['user_id'], only: 'postgres' }],
  },
  user_stats_current: {
    columns: [text('user_id', true), bigint('joined_rooms', true), bigint('completed_delta_stream_id', true)],
    unique: [{ columns: ['user_id'] }],
  },
  current_state_delta_stream: {
    columns: [
      bigint('stream_id', true),
      text('room_id', true),
      text('type', true),
      text('state_key', true),
      text('event_id'),
      text('prev_event_id'),
      text('instance_name'),
    ],
    unique: [],
  },
  access_tokens: {
    columns: [
      bigintKey('id'),
      text('user_id', true),
      text('device_id'),
      text('token', true),
      bigint('valid_until_ms'),
      text('puppets_user_id'),
      bigint('last_validated'),
      bigint('refresh_token_id'),
      { name: 'used', type: 'boolean' },
    ],
    unique: [{ columns: ['id'] }, { columns: ['token'] }],
  },
  refresh_tokens: {
    columns: [
      bigintKey('id'),
      text('user_id', true),
      text('device_id', true),
      text('token', true),
      bigint('next_token_id'),
      bigint('expiry_ts'),
      bigint('ultimate_session_expiry_ts'),
    ],
    unique: [{ columns: ['id'] }, { columns: ['token'] }],
  },
  devices: {
    columns: [
      text('user_id', true),
      text('device_id', true),
      text('display_name'),
      bigint('last_seen'),
      text('ip'),
      text('user_agent'),
      { name: 'hidden', type: 'boolean', default: 'false', sqlite: { default: '0' } },
    ],
    unique: [{ columns: ['user_id', 'device_id'] }],
  },
  pushers: {
    columns: [
      bigintKey('id'),
      text('user_name', true),
      bigint('access_token'),
      text('profile_tag', true),
      text('kind', true),
      text('app_id', true),
      text('app_display_name', true),
      text('device_display_name', true),
      text('pushkey', true),
      bigint('ts', true),
      text('lang'),
      text('data'),
      // delta 60/02 widened it on PostgreSQL only.
      { ...bigint('last_stream_ordering'), sqlite: { type: 'integer' } },
      bigint('last_success'),
      bigint('failing_since'),
      { name: 'enabled', type: 'boolean', since: 73 },
      { ...text('device_id'), since: 73 },
      { ...text('instance_name'), since: 85 },
    ],
    unique: [{ columns: ['id'] }, { columns: ['app_id', 'pushkey', 'user_name'] }],
  },
  user_threepids: {
    columns: [
      text('user_id', true),
      text('medium', true),
      text('address', true),
      bigint('validated_at', true),
      bigint('added_at', true),
    ],
    unique: [{ columns: ['medium', 'address'] }],
  },
  user_external_ids: {
    columns: [text('auth_provider', true), text('external_id', true), text('user_id', true)],
    unique: [{ columns: ['auth_provider', 'external_id'] }],
  },
  users_pending_deactivation: { columns: [text('user_id', true)], unique: [] },
  erased_users: { columns: [text('user_id', true)], unique: [{ columns: ['user_id'] }] },
  application_services_state: {
    // On SQLite, delta 72/04 (Synapse 1.67) rebuilt the table: before it, as_id was a nullable
    // primary key and delta 58/21's stream ids INT (PostgreSQL's became BIGINT in 60/02).
    columns: [
      { ...text('as_id', true), sqliteBefore: { version: 73, notNull: false } },
      { name: 'state', type: 'character varying(5)', sqlite: { type: 'varchar(5)' } },
      { ...bigint('read_receipt_stream_id'), sqliteBefore: { version: 73, type: 'int' } },
      { ...bigint('presence_stream_id'), sqliteBefore: { version: 73, type: 'int' } },
      bigint('to_device_stream_id'),
      bigint('device_list_stream_id'),
    ],
    unique: [{ columns: ['as_id'] }],
  },
} as const satisfies Record<ToolTable, TableSpec> & Record<string, TableSpec>;

export type BuiltTable = keyof typeof BUILT_TABLES;

const inVersion = (spec: { since?: number }, version: number) => (spec.since ?? 0) <= version;

/** The columns `table` has at schema `version` on `dialect`, sorted by name. */
export function expectedColumns(table: BuiltTable, dialect: Dialect, version: number): ExpectedColumn[] {
  const columns: ExpectedColumn[] = [];
  for (const spec of BUILT_TABLES[table].columns as readonly ColumnSpec[]) {
    const override = spec[dialect];
    if (!inVersion(spec, version) || override === 'absent') continue;
    const { version: changedIn, ...before } = spec.sqliteBefore ?? { version: 0 };
    columns.push({
      name: spec.name,
      type: spec.type,
      notNull: spec.notNull ?? false,
      default: spec.default ?? null,
      ...override,
      ...(dialect === 'sqlite' && version < changedIn ? before : {}),
    });
  }
  return columns.sort((a, b) => a.name.localeCompare(b.name));
}

/**
 * The column sets that are unique in `table`, each as "a,b", sorted. Pass
 * `backgroundUpdatesDone: false` for a database Synapse has only just created.
 */
export function expectedUniqueKeys(
  table: BuiltTable,
  dialect: Dialect,
  version: number,
  { backgroundUpdatesDone = true } = {},
): string[] {
  return (BUILT_TABLES[table].unique as readonly UniqueSpec[])
    .filter((u) => inVersion(u, version) && (u.only ?? dialect) === dialect)
    .filter((u) => backgroundUpdatesDone || !u.backgroundUpdate)
    .map((u) => u.columns.join(','))
    .sort();
}
