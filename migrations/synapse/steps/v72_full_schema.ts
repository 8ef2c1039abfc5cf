// The tables we touch as the first Synapse at schema 72, 1.62, creates them: its full schema 54
// and the deltas 55 to 72 it ships (synapse/storage/schema/ at v1.62.0). Not Synapse's snapshot
// full_schemas/72, which came with 1.69 and holds what later releases still at 72 added:
// users.consent_ts (delta 72/06, Synapse 1.68) and SQLite's rebuilt application_services_state
// (72/04, 1.67); those are in ./deltas.ts.
// SQLite keeps constraints inline; PostgreSQL's dump is pg_dump's, so its constraints are
// named ALTER TABLE statements (users_name_key, access_tokens_token_key, ...), kept by name here.
import type { SchemaStep } from '../../dialect.js';

const sqlite = [
  `CREATE TABLE users (
    name TEXT,
    password_hash TEXT,
    creation_ts BIGINT,
    admin SMALLINT DEFAULT 0 NOT NULL,
    upgrade_ts BIGINT,
    is_guest SMALLINT DEFAULT 0 NOT NULL,
    appservice_id TEXT,
    consent_version TEXT,
    consent_server_notice_sent TEXT,
    user_type TEXT DEFAULT NULL,
    deactivated SMALLINT DEFAULT 0 NOT NULL,
    shadow_banned BOOLEAN,
    UNIQUE (name)
  )`,
  'CREATE INDEX users_creation_ts ON users (creation_ts)',

  `CREATE TABLE profiles (
    user_id TEXT NOT NULL,
    displayname TEXT,
    avatar_url TEXT,
    UNIQUE (user_id)
  )`,

  `CREATE TABLE user_directory (
    user_id TEXT NOT NULL,
    room_id TEXT,
    display_name TEXT,
    avatar_url TEXT
  )`,
  'CREATE INDEX user_directory_room_idx ON user_directory (room_id)',
  'CREATE UNIQUE INDEX user_directory_user_idx ON user_directory (user_id)',
  // Synapse writes `value` = "<user id> <display name, lowercased and NFKC-normalised>".
  'CREATE VIRTUAL TABLE user_directory_search USING fts4 (user_id, value)',

  `CREATE TABLE user_stats_current (
    user_id TEXT NOT NULL PRIMARY KEY,
    joined_rooms BIGINT NOT NULL,
    completed_delta_stream_id BIGINT NOT NULL
  )`,
  `CREATE TABLE current_state_delta_stream (
    stream_id BIGINT NOT NULL,
    room_id TEXT NOT NULL,
    type TEXT NOT NULL,
    state_key TEXT NOT NULL,
    event_id TEXT,
    prev_event_id TEXT,
    instance_name TEXT
  )`,
  'CREATE INDEX current_state_delta_stream_idx ON current_state_delta_stream (stream_id)',

  `CREATE TABLE refresh_tokens (
    id BIGINT PRIMARY KEY,
    user_id TEXT NOT NULL,
    device_id TEXT NOT NULL,
    token TEXT NOT NULL,
    next_token_id BIGINT REFERENCES refresh_tokens (id) ON DELETE CASCADE,
    expiry_ts BIGINT DEFAULT NULL,
    ultimate_session_expiry_ts BIGINT DEFAULT NULL,
    UNIQUE (token)
  )`,
  `CREATE INDEX refresh_tokens_next_token_id ON refresh_tokens (next_token_id)
    WHERE next_token_id IS NOT NULL`,
  `CREATE TABLE access_tokens (
    id BIGINT PRIMARY KEY,
    user_id TEXT NOT NULL,
    device_id TEXT,
    token TEXT NOT NULL,
    valid_until_ms BIGINT,
    puppets_user_id TEXT,
    last_validated BIGINT,
    refresh_token_id BIGINT REFERENCES refresh_tokens (id) ON DELETE CASCADE,
    used BOOLEAN,
    UNIQUE (token)
  )`,
  'CREATE INDEX access_tokens_device_id ON access_tokens (user_id, device_id)',

  `CREATE TABLE devices (
    user_id TEXT NOT NULL,
    device_id TEXT NOT NULL,
    display_name TEXT,
    last_seen BIGINT,
    ip TEXT,
    user_agent TEXT,
    hidden BOOLEAN DEFAULT 0,
    CONSTRAINT device_uniqueness UNIQUE (user_id, device_id)
  )`,

  `CREATE TABLE user_threepids (
    user_id TEXT NOT NULL,
    medium TEXT NOT NULL,
    address TEXT NOT NULL,
    validated_at BIGINT NOT NULL,
    added_at BIGINT NOT NULL,
    CONSTRAINT medium_address UNIQUE (medium, address)
  )`,
  'CREATE INDEX user_threepids_user_id ON user_threepids (user_id)',
  'CREATE INDEX user_threepids_medium_address ON user_threepids (medium, address)',

  `CREATE TABLE user_external_ids (
    auth_provider TEXT NOT NULL,
    external_id TEXT NOT NULL,
    user_id TEXT NOT NULL,
    UNIQUE (auth_provider, external_id)
  )`,
  'CREATE INDEX user_external_ids_user_id_idx ON user_external_ids (user_id)',

  'CREATE TABLE users_pending_deactivation (user_id TEXT NOT NULL)',
  'CREATE TABLE erased_users (user_id TEXT NOT NULL)',
  'CREATE UNIQUE INDEX erased_users_user ON erased_users (user_id)',

  `CREATE TABLE pushers (
    id BIGINT PRIMARY KEY,
    user_name TEXT NOT NULL,
    access_token BIGINT DEFAULT NULL,
    profile_tag TEXT NOT NULL,
    kind TEXT NOT NULL,
    app_id TEXT NOT NULL,
    app_display_name TEXT NOT NULL,
    device_display_name TEXT NOT NULL,
    pushkey TEXT NOT NULL,
    ts BIGINT NOT NULL,
    lang TEXT,
    data TEXT,
    last_stream_ordering INTEGER,
    last_success BIGINT,
    failing_since BIGINT,
    UNIQUE (app_id, pushkey, user_name)
  )`,

  // Full schema 54's table (less last_txn, which we never read) and delta 58/21's INT columns:
  // SQLite's primary key allows NULL here until 72/04 rebuilds the table.
  `CREATE TABLE application_services_state (
    as_id TEXT PRIMARY KEY,
    state VARCHAR(5),
    read_receipt_stream_id INT,
    presence_stream_id INT,
    to_device_stream_id BIGINT,
    device_list_stream_id BIGINT
  )`,
];

const postgres = [
  `CREATE TABLE users (
    name text,
    password_hash text,
    creation_ts bigint,
    admin smallint DEFAULT 0 NOT NULL,
    upgrade_ts bigint,
    is_guest smallint DEFAULT 0 NOT NULL,
    appservice_id text,
    consent_version text,
    consent_server_notice_sent text,
    user_type text,
    deactivated smallint DEFAULT 0 NOT NULL,
    shadow_banned boolean
  )`,
  'ALTER TABLE ONLY users ADD CONSTRAINT users_name_key UNIQUE (name)',
  'CREATE INDEX users_creation_ts ON users USING btree (creation_ts)',

  `CREATE TABLE profiles (
    user_id text NOT NULL,
    displayname text,
    avatar_url text
  )`,
  'ALTER TABLE ONLY profiles ADD CONSTRAINT profiles_user_id_key UNIQUE (user_id)',

  `CREATE TABLE user_directory (
    user_id text NOT NULL,
    room_id text,
    display_name text,
    avatar_url text
  )`,
  'CREATE INDEX user_directory_room_idx ON user_directory USING btree (room_id)',
  'CREATE UNIQUE INDEX user_directory_user_idx ON user_directory USING btree (user_id)',
  // Synapse writes `vector` = setweight(to_tsvector('simple', localpart), 'A')
  //   || setweight(to_tsvector('simple', server name), 'D')
  //   || setweight(to_tsvector('simple', COALESCE(display name, '')), 'B').
  `CREATE TABLE user_directory_search (
    user_id text NOT NULL,
    vector tsvector
  )`,
  'CREATE INDEX user_directory_search_fts_idx ON user_directory_search USING gin (vector)',
  'CREATE UNIQUE INDEX user_directory_search_user_idx ON user_directory_search USING btree (user_id)',

  `CREATE TABLE user_stats_current (
    user_id text NOT NULL,
    joined_rooms bigint NOT NULL,
    completed_delta_stream_id bigint NOT NULL
  )`,
  'ALTER TABLE ONLY user_stats_current ADD CONSTRAINT user_stats_current_pkey PRIMARY KEY (user_id)',
  `CREATE TABLE current_state_delta_stream (
    stream_id bigint NOT NULL,
    room_id text NOT NULL,
    type text NOT NULL,
    state_key text NOT NULL,
    event_id text,
    prev_event_id text,
    instance_name text
  )`,
  'CREATE INDEX current_state_delta_stream_idx ON current_state_delta_stream USING btree (stream_id)',

  `CREATE TABLE refresh_tokens (
    id bigint NOT NULL,
    user_id text NOT NULL,
    device_id text NOT NULL,
    token text NOT NULL,
    next_token_id bigint,
    expiry_ts bigint,
    ultimate_session_expiry_ts bigint
  )`,
  'ALTER TABLE ONLY refresh_tokens ADD CONSTRAINT refresh_tokens_pkey PRIMARY KEY (id)',
  'ALTER TABLE ONLY refresh_tokens ADD CONSTRAINT refresh_tokens_token_key UNIQUE (token)',
  `ALTER TABLE ONLY refresh_tokens ADD CONSTRAINT refresh_tokens_next_token_id_fkey
    FOREIGN KEY (next_token_id) REFERENCES refresh_tokens (id) ON DELETE CASCADE`,
  `CREATE INDEX refresh_tokens_next_token_id ON refresh_tokens USING btree (next_token_id)
    WHERE (next_token_id IS NOT NULL)`,
  `CREATE TABLE access_tokens (
    id bigint NOT NULL,
    user_id text NOT NULL,
    device_id text,
    token text NOT NULL,
    valid_until_ms bigint,
    puppets_user_id text,
    last_validated bigint,
    refresh_token_id bigint,
    used boolean
  )`,
  'ALTER TABLE ONLY access_tokens ADD CONSTRAINT access_tokens_pkey PRIMARY KEY (id)',
  'ALTER TABLE ONLY access_tokens ADD CONSTRAINT access_tokens_token_key UNIQUE (token)',
  `ALTER TABLE ONLY access_tokens ADD CONSTRAINT access_tokens_refresh_token_id_fkey
    FOREIGN KEY (refresh_token_id) REFERENCES refresh_tokens (id) ON DELETE CASCADE`,
  'CREATE INDEX access_tokens_device_id ON access_tokens USING btree (user_id, device_id)',

  `CREATE TABLE devices (
    user_id text NOT NULL,
    device_id text NOT NULL,
    display_name text,
    last_seen bigint,
    ip text,
    user_agent text,
    hidden boolean DEFAULT false
  )`,
  'ALTER TABLE ONLY devices ADD CONSTRAINT device_uniqueness UNIQUE (user_id, device_id)',

  `CREATE TABLE user_threepids (
    user_id text NOT NULL,
    medium text NOT NULL,
    address text NOT NULL,
    validated_at bigint NOT NULL,
    added_at bigint NOT NULL
  )`,
  'ALTER TABLE ONLY user_threepids ADD CONSTRAINT medium_address UNIQUE (medium, address)',
  'CREATE INDEX user_threepids_medium_address ON user_threepids USING btree (medium, address)',
  'CREATE INDEX user_threepids_user_id ON user_threepids USING btree (user_id)',

  `CREATE TABLE user_external_ids (
    auth_provider text NOT NULL,
    external_id text NOT NULL,
    user_id text NOT NULL
  )`,
  `ALTER TABLE ONLY user_external_ids ADD CONSTRAINT user_external_ids_auth_provider_external_id_key
    UNIQUE (auth_provider, external_id)`,
  'CREATE INDEX user_external_ids_user_id_idx ON user_external_ids USING btree (user_id)',

  'CREATE TABLE users_pending_deactivation (user_id text NOT NULL)',
  'CREATE TABLE erased_users (user_id text NOT NULL)',
  'CREATE UNIQUE INDEX erased_users_user ON erased_users USING btree (user_id)',

  `CREATE TABLE pushers (
    id bigint NOT NULL,
    user_name text NOT NULL,
    access_token bigint,
    profile_tag text NOT NULL,
    kind text NOT NULL,
    app_id text NOT NULL,
    app_display_name text NOT NULL,
    device_display_name text NOT NULL,
    pushkey text NOT NULL,
    ts bigint NOT NULL,
    lang text,
    data text,
    last_stream_ordering bigint,
    last_success bigint,
    failing_since bigint
  )`,
  'ALTER TABLE ONLY pushers ADD CONSTRAINT pushers2_app_id_pushkey_user_name_key UNIQUE (app_id, pushkey, user_name)',
  'ALTER TABLE ONLY pushers ADD CONSTRAINT pushers2_pkey PRIMARY KEY (id)',

  `CREATE TABLE application_services_state (
    as_id text NOT NULL,
    state character varying(5),
    read_receipt_stream_id bigint,
    presence_stream_id bigint,
    to_device_stream_id bigint,
    device_list_stream_id bigint
  )`,
  'ALTER TABLE ONLY application_services_state ADD CONSTRAINT application_services_state_pkey PRIMARY KEY (as_id)',
];

export const fullSchema72: SchemaStep = { version: 72, name: '0072_full_schema', sql: { sqlite, postgres } };
