// What Synapse's schema deltas 73..94 (synapse/storage/schema/main/delta/NN/) changed in the
// tables we touch, including the indexes their background updates build afterwards.
import type { SchemaStep } from '../dialect.js';

const both = (...statements: string[]) => ({ sqlite: statements, postgres: statements });

export const deltas: readonly SchemaStep[] = [
  // 73/03users_approved_column.sql
  { version: 73, name: '0073_users_approved', sql: both('ALTER TABLE users ADD COLUMN approved BOOLEAN') },
  {
    // 76/01_add_profiles_full_user_id_column.sql; its background update
    // profiles_full_user_id_key_idx (synapse/storage/databases/main/profile.py) adds the unique
    // index. On SQLite, delta 78 rebuilds the table first, so the index comes there.
    version: 76,
    name: '0076_profiles_full_user_id',
    sql: {
      sqlite: ['ALTER TABLE profiles ADD COLUMN full_user_id TEXT'],
      postgres: [
        'ALTER TABLE profiles ADD COLUMN full_user_id TEXT',
        'CREATE UNIQUE INDEX profiles_full_user_id_key ON profiles USING btree (full_user_id)',
      ],
    },
  },
  {
    // 77/01_add_profiles_not_valid_check.sql.postgres
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
  {
    // 78/01_validate_and_update_profiles.py: PostgreSQL validates the check; SQLite rebuilds
    // profiles with full_user_id NOT NULL first and user_id nullable. Synapse fills full_user_id
    // from the server name while copying; the background update populate_full_user_id_profiles
    // has done that before here for the databases we build, which start empty.
    version: 78,
    name: '0078_profiles_full_user_id_not_null',
    sql: {
      sqlite: [
        `CREATE TABLE temp_profiles (
          full_user_id text NOT NULL,
          user_id text,
          displayname text,
          avatar_url text,
          UNIQUE (full_user_id),
          UNIQUE (user_id)
        )`,
        `INSERT INTO temp_profiles (user_id, displayname, avatar_url, full_user_id)
          SELECT user_id, displayname, avatar_url, full_user_id FROM profiles`,
        'DROP TABLE profiles',
        'ALTER TABLE temp_profiles RENAME TO profiles',
        'CREATE UNIQUE INDEX profiles_full_user_id_key ON profiles (full_user_id)',
      ],
      postgres: ['ALTER TABLE profiles VALIDATE CONSTRAINT full_user_id_not_null'],
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
  // 88/01_custom_profile_fields.sql
  { version: 88, name: '0088_profiles_fields', sql: both('ALTER TABLE profiles ADD COLUMN fields JSONB') },
];
