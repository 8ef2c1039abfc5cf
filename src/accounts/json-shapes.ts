// The keys of each command's --json object on success, the same whichever store the server uses:
// written down once, here, for the report (which cannot leave one out: the types ask for every
// key) and for test/accounts/json-shape.test.ts, which runs each command on Synapse's tables and on MAS.
// Every object also starts with "ok" and ends with "warnings". A key that does not apply on a
// store, or on a dry run, is null (an empty list for a list); only a secret is left out when none
// is printed (a dry run, or a password not generated), so that no one mistakes a null for one.

/** What every account operation says, on every store (report.ts). */
export const OUTCOME_KEYS = ['user_id', 'changed', 'dry_run', 'changes', 'jobs', 'notes', 'synapse_running', 'restart_needed', 'applied_via'] as const;

export const JSON_SHAPES = {
  promote: { keys: [...OUTCOME_KEYS, 'admin', 'admin_sessions', 'sessions_ended'], secrets: [] },
  demote: { keys: [...OUTCOME_KEYS, 'admin', 'admin_sessions', 'sessions_ended'], secrets: [] },
  unlock: { keys: [...OUTCOME_KEYS], secrets: [] },
  register: { keys: [...OUTCOME_KEYS, 'created', 'admin', 'password_set'], secrets: ['password'] },
  adopt: { keys: [...OUTCOME_KEYS, 'adopted'], secrets: ['password'] },
  'set-password': {
    keys: [...OUTCOME_KEYS, 'reactivated', 'tokens_removed', 'pushers_removed', 'password_version', 'sessions_ended'],
    secrets: ['password'],
  },
  'issue-token': {
    keys: [...OUTCOME_KEYS, 'expires_at', 'device_id', 'admin', 'admin_source', 'synapse_user_exists', 'next'],
    secrets: ['access_token'],
  },
  'list-admins': { keys: ['source', 'admins'], secrets: [] },
  check: {
    keys: [
      'config_files',
      'server_name',
      'engine',
      'database',
      'password_login',
      'delegated_auth',
      'synapse_running',
      'synapse_running_evidence',
      'synapse_running_notes',
      'connected',
      'schema_version',
      'compat_version',
      'users',
      'admins',
      'usable_admins',
      'live_helpers_left',
      'mas',
      'users_checked',
    ],
    secrets: [],
  },
  apply: {
    keys: ['file', 'changed', 'dry_run', 'created', 'adopted', 'updated', 'demoted', 'unchanged', 'users', 'notes', 'synapse_running', 'restart_needed', 'applied_via'],
    secrets: [],
  },
} as const;

/** The keys of one entry of list-admins' `admins`, and of check's `users_checked`. */
export const ADMIN_ENTRY_KEYS = [
  'user_id',
  'username',
  'sources',
  'in_mas',
  'deactivated',
  'locked',
  'suspended',
  'shadow_banned',
  'guest',
  'user_type',
] as const;
export const USER_CHECKED_KEYS = ['user_id', 'in_synapse', 'in_mas', 'mas_username', 'meaning'] as const;

export type JsonCommand = keyof typeof JSON_SHAPES;

/** A command's --json object (without ok and warnings): every key, and the secrets it may carry. */
export type JsonOf<C extends JsonCommand> = { [K in (typeof JSON_SHAPES)[C]['keys'][number]]: unknown } & {
  [K in (typeof JSON_SHAPES)[C]['secrets'][number]]?: unknown;
};
