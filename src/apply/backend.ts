// What apply needs from the place logins live. Synapse's users table is one backend
// (synapse-backend.ts), matrix-authentication-service's users the other (mas-backend.ts).
import type { FileRules } from './file.js';
import type { Hasher } from './hashing.js';
import type { Writes } from './outcome.js';
import type { CurrentState, Plan, PlanRules } from './plan.js';

export interface ApplyBackend {
  rules: FileRules & PlanRules;
  hasher: Hasher;
  /** The accounts of the file's users (case-insensitively) and every admin, outside a transaction. */
  read(userIds: readonly string[]): Promise<CurrentState>;
  /**
   * One transaction (rolled back on --dry-run): take the writer's turn, call `recheck` with the
   * accounts as they are now (it throws when they moved since planning), then write everything.
   * Returns what the written state makes worth saying (e.g. sessions a demoted admin still holds).
   */
  write(userIds: readonly string[], recheck: (now: CurrentState) => void, writes: Writes): Promise<string[]>;
  /** What the backend has to say about a plan beyond the accounts (e.g. admins its config names). */
  planWarnings?(plan: Plan, exclusiveAdmins: boolean): string[];
}
