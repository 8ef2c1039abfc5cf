// What MAS releases after 0.13.0 change in the slice, each under the MAS migration that does it
// (names from recorded-schema.json; the DDL is ours).
import type { MasStep } from '../steps.js';

export const laterSteps: readonly MasStep[] = [
  {
    // 20250114135939 allow deviceless compat sessions, 20250129154003 compat sessions device name (0.14)
    version: 20250129154003,
    name: '20250129154003_compat_sessions',
    sql: [
      'ALTER TABLE compat_sessions ALTER COLUMN device_id DROP NOT NULL',
      'ALTER TABLE compat_sessions ADD COLUMN human_name TEXT',
    ],
  },
  // 20250130170011 user is guest (0.14)
  { version: 20250130170011, name: '20250130170011_users_is_guest', sql: ['ALTER TABLE users ADD COLUMN is_guest BOOLEAN NOT NULL DEFAULT FALSE'] },
  // 20250311093145 user deactivated at (0.15)
  { version: 20250311093145, name: '20250311093145_users_deactivated_at', sql: ['ALTER TABLE users ADD COLUMN deactivated_at TIMESTAMP WITH TIME ZONE'] },
  // 20250410121612 users lower username idx (0.15): MAS looks users up by LOWER(username)
  { version: 20250410121612, name: '20250410121612_users_lower_username', sql: ['CREATE INDEX users_lower_username_idx ON users (LOWER(username))'] },
  // 20250425113717 oauth2 session human name (0.16)
  { version: 20250425113717, name: '20250425113717_oauth2_sessions_human_name', sql: ['ALTER TABLE oauth2_sessions ADD COLUMN human_name TEXT'] },
  {
    // 20250924132713 personal access tokens, 20251023134634 its unique fix (1.5)
    version: 20251023134634,
    name: '20251023134634_personal_sessions',
    sql: [
      `CREATE TABLE personal_sessions (
        personal_session_id UUID PRIMARY KEY,
        owner_user_id UUID REFERENCES users (user_id),
        owner_oauth2_client_id UUID,
        actor_user_id UUID NOT NULL REFERENCES users (user_id),
        human_name TEXT NOT NULL,
        scope_list TEXT[] NOT NULL,
        created_at TIMESTAMP WITH TIME ZONE NOT NULL,
        revoked_at TIMESTAMP WITH TIME ZONE,
        last_active_at TIMESTAMP WITH TIME ZONE,
        last_active_ip INET
      )`,
      `CREATE TABLE personal_access_tokens (
        personal_access_token_id UUID PRIMARY KEY,
        personal_session_id UUID NOT NULL REFERENCES personal_sessions (personal_session_id),
        access_token_sha256 BYTEA NOT NULL UNIQUE,
        created_at TIMESTAMP WITH TIME ZONE NOT NULL,
        expires_at TIMESTAMP WITH TIME ZONE,
        revoked_at TIMESTAMP WITH TIME ZONE
      )`,
    ],
  },
  {
    // 20260108120030 remove user emails old confirmation (1.10)
    version: 20260108120030,
    name: '20260108120030_drop_email_confirmation',
    sql: ['ALTER TABLE users DROP COLUMN primary_user_email_id', 'ALTER TABLE user_emails DROP COLUMN confirmed_at'],
  },
];
