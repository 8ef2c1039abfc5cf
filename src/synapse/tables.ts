// Synapse's tables whose rows the tool reads or writes, listed once: the schema check reads their
// columns, the test migrations must build each of them, and the tests' snapshot covers them.
export const TOOL_TABLES = [
  'users',
  'profiles',
  'user_directory',
  'user_directory_search',
  'user_stats_current',
  'current_state_delta_stream',
  'access_tokens',
  'refresh_tokens',
  'devices',
  'erased_users',
  'pushers',
] as const;

export type ToolTable = (typeof TOOL_TABLES)[number];
