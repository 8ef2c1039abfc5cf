// What Synapse's schema deltas after 1.62's (synapse/storage/schema/main/delta/NN/) change in the
// tables we touch when Synapse creates a new database (full schema 72, then every delta), plus
// the indexes that the background updates they queue build in the minutes after the first start.
// Deltas that later releases added to directory 72 are version 73 here: a database is at our
// variant 72 only as 1.62 left it.
import type { SchemaStep } from '../../dialect.js';

const both = (...statements: string[]) => ({ sqlite: statements, postgres: statements });

export const deltas: readonly SchemaStep[] = [
  {
    // 72/04 (Synapse 1.67) drops last_txn; on SQLite by rebuilding the table, which makes as_id
    // NOT NULL and the stream ids BIGINT. We never build last_txn, so PostgreSQL has nothing to do.
    version: 73,
    name: '0073_application_services_state_rebuilt',
    sql: {
      sqlite: [
        `CREATE TABLE application_services_state_new (
          as_id TEXT PRIMARY KEY NOT NULL,
          state VARCHAR(5),
          read_receipt_stream_id BIGINT,
          presence_stream_id BIGINT,
          to_device_stream_id BIGINT,
          device_list_stream_id BIGINT
        )`,
        'INSERT INTO application_services_state_new SELECT * FROM application_services_state',
        'DROP TABLE application_services_state',
        'ALTER TABLE application_services_state_new RENAME TO application_services_state',
      ],
      postgres: [],
    },
  },
  // 72/06add_consent_ts_to_users.sql (Synapse 1.68)
  { version: 73, name: '0073_users_consent_ts', sql: both('ALTER TABLE users ADD COLUMN consent_ts BIGINT') },
  // 73/03users_approved_column.sql
  { version: 73, name: '0073_users_approved', sql: both('ALTER TABLE users ADD COLUMN approved BOOLEAN') },
  // 73/02add_pusher_enabled.sql and 73/03pusher_device_id.sql
  {
    version: 73,
    name: '0073_pushers_enabled_device_id',
    sql: both('ALTER TABLE pushers ADD COLUMN enabled BOOLEAN', 'ALTER TABLE pushers ADD COLUMN device_id TEXT'),
  },
  {
    // 76/01_add_profiles_full_user_id_column.sql; the background update it queues,
    // profiles_full_user_id_key_idx (synapse/storage/databases/main/profile.py), adds the index.
    version: 76,
    name: '0076_profiles_full_user_id',
    sql: both(
      'ALTER TABLE profiles ADD COLUMN full_user_id TEXT',
      'CREATE UNIQUE INDEX profiles_full_user_id_key ON profiles (full_user_id)',
    ),
  },
  {
    // 77/01_add_profiles_not_valid_check.sql.postgres. Delta 78 validates it (and rebuilds the
    // SQLite table with full_user_id NOT NULL), but as a run_upgrade, which Synapse skips on a
    // database it creates: a new database keeps the check NOT VALID and SQLite's table as is.
    version: 77,
    name: '0077_profiles_full_user_id_check',
    sql: {
      sqlite: [],
      postgres: [
        `ALTER TABLE profiles ADD CONSTRAINT full_user_id_not_null
          CHECK (full_user_id IS NOT NULL) NOT VALID`,
      ],
    },
  },
  // 80/01_users_alter_locked.sql
  { version: 80, name: '0080_users_locked', sql: both('ALTER TABLE users ADD locked BOOLEAN DEFAULT FALSE NOT NULL') },
  {
    // 84/04_access_token_index.sql queues the background update that builds this index.
    version: 84,
    name: '0084_access_tokens_refresh_token_id_idx',
    sql: both('CREATE INDEX access_tokens_refresh_token_id_idx ON access_tokens (refresh_token_id)'),
  },
  // 85/01_add_suspended.sql
  {
    version: 85,
    name: '0085_users_suspended',
    sql: both('ALTER TABLE users ADD COLUMN suspended BOOLEAN DEFAULT FALSE NOT NULL'),
  },
  // 85/02_add_instance_names.sql (pushers only; 85/03 adds PostgreSQL's pushers_sequence, which we never use)
  { version: 85, name: '0085_pushers_instance_name', sql: both('ALTER TABLE pushers ADD COLUMN instance_name TEXT') },
  // 88/01_custom_profile_fields.sql
  { version: 88, name: '0088_profiles_fields', sql: both('ALTER TABLE profiles ADD COLUMN fields JSONB') },
];
