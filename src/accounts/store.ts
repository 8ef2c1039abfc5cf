// What commands need from the place accounts live, one interface per use case, in the style of
// apply's ApplyBackend. Implemented on Synapse's tables (synapse.ts) and on MAS's (mas.ts), and for
// the changes a running Synapse caches, through its Admin API (live/store.ts, --live, which hands
// the rest to synapse.ts); the preamble (commands/prepare.ts) picks one, once. A store refuses, by its own rules, what it cannot
// honour (exit 2 with the reason), before it opens a transaction.
import type { ApplyResult } from '../apply/apply.js';
import type { SynapseConfig } from '../config/types.js';
import type { Io } from '../io.js';
import type { Output } from '../output.js';
import type { UserContext } from '../synapse/user-store.js';
import type { ApplyBackend } from '../apply/backend.js';
import type { AppServiceUsers } from '../config/appservice.js';
import type { ToolError } from '../errors.js';
import type { PasswordArgs } from '../passwords/new-password.js';
import type { ParsedUser } from '../synapse/user-id.js';
import type { AdoptedAccount } from '../mas/adopt.js';
import type { AccountOutcome, ServerFollowUp } from './outcome.js';
import type { JsonOf } from './json-shapes.js';

/** Synapse's database as the preamble opens it. */
export interface SynapseAccess {
  config: SynapseConfig;
  /** A look at the database that only reads (on PostgreSQL, in a transaction that cannot write). */
  read<T>(fn: (ctx: UserContext) => Promise<T>): Promise<T>;
  /** The command's one transaction, rolled back on --dry-run. */
  write<T>(fn: (ctx: UserContext) => Promise<T>): Promise<T>;
}

/** What a store needs besides its database: the command's streams, and whether this is a dry run. */
export interface StoreDeps {
  io: Io;
  out: Output;
  dryRun: boolean;
}

/** promote and demote. */
export interface AdminFlagAccounts {
  setAdmin(user: ParsedUser, request: { admin: boolean; logout: boolean }): Promise<AccountOutcome<AdminFlagFacts>>;
}

export interface AdminFlagFacts {
  admin: boolean;
  /** MAS: the admin sessions the user holds (they outlive the flag); null on Synapse, which has none. */
  admin_sessions: { compat: number; oauth2: number; personal: number; total: number } | null;
  /** MAS: how many of them ended (would end, on a dry run); null on Synapse. */
  sessions_ended: number | null;
}

export interface UnlockAccounts {
  unlock(user: ParsedUser, request: { unshadowban: boolean }): Promise<AccountOutcome>;
}

/** One admin as list-admins shows it, the same keys on every store; null where the store has no such thing. */
export interface AdminListEntry {
  user_id: string;
  username: string;
  /** Why the user is an admin: users.admin; MAS's can_request_admin or policy.data.admin_users. */
  sources: string[];
  /** MAS: false for a name in policy.data.admin_users with no MAS user; null on Synapse. */
  in_mas: boolean | null;
  deactivated: boolean;
  locked: boolean;
  suspended: boolean | null;
  shadow_banned: boolean | null;
  /** Null on Synapse, whose listing does not read is_guest. */
  guest: boolean | null;
  user_type: string | null;
}

export interface AdminListing {
  source: 'synapse' | 'mas';
  admins: AdminListEntry[];
  /** The marks after each admin in text (deactivated, locked, ...). */
  marks(entry: AdminListEntry): string[];
  warnings: string[];
}

export interface ListAdminsAccounts {
  listAdmins(): Promise<AdminListing>;
}

export interface RegisterRequest {
  password: PasswordArgs;
  existsOk: boolean;
  displayname?: string;
  userType?: string;
  /** Asked once the store has refused what it cannot do (it may prompt). */
  admin: () => Promise<boolean>;
  appServices: AppServiceUsers[];
}

export interface RegisterFacts {
  created: boolean;
  admin: boolean;
  /** Whether the new user got a password (MAS may create one without, for upstream logins). */
  password_set: boolean;
  /** Secret: only when generated and written. */
  password?: string;
}

export interface RegisterAccounts {
  register(user: ParsedUser, request: RegisterRequest): Promise<AccountOutcome<RegisterFacts>>;
}

export interface SetPasswordRequest {
  password: PasswordArgs;
  logout: boolean;
  reactivate: boolean;
}

export interface SetPasswordFacts {
  reactivated: boolean;
  /** Synapse: the access tokens and pushers --logout deleted (0 without it); null on MAS, which ends sessions instead. */
  tokens_removed: number | null;
  pushers_removed: number | null;
  /** MAS: the password scheme version used; null on Synapse. */
  password_version: number | null;
  /** MAS, with --logout: the sessions ended; null otherwise. */
  sessions_ended: { compat: number; oauth2: number; browser: number; personal: number } | null;
  password?: string;
}

export interface SetPasswordAccounts {
  setPassword(user: ParsedUser, request: SetPasswordRequest): Promise<AccountOutcome<SetPasswordFacts>>;
}

export interface AdoptRequest {
  /** A new password instead of Synapse's hash, when a source is given. */
  password: PasswordArgs;
  /** --admin / --no-admin; undefined: Synapse's admin flag. */
  admin: boolean | undefined;
}

export interface AdoptFacts {
  /** What was carried into MAS (only MAS adopts: Synapse's store refuses). */
  adopted: AdoptedAccount;
  /** Secret: only when generated and written. */
  password?: string;
}

/**
 * adopt: give a user only Synapse has an account in the store that owns logins (MAS), carrying
 * what it has. Where Synapse owns its users there is nothing to adopt: that store refuses (exit 2).
 */
export interface AdoptAccounts {
  adopt(user: ParsedUser, request: AdoptRequest): Promise<AccountOutcome<AdoptFacts>>;
}

export interface IssueTokenRequest {
  /** null: never expires. */
  expiresInMs: number | null;
  deviceId?: string;
}

export interface TokenFacts {
  /** Secret: absent on a dry run. */
  access_token?: string;
  expires_at: string | null;
  device_id: string | null;
  admin: boolean;
  /** Why the token has admin rights: users.admin, MAS's can_request_admin or policy.data.admin_users; null without. */
  admin_source: string | null;
  /** Whether Synapse's users table has the user (MAS: its worker may not have provisioned it yet). */
  synapse_user_exists: boolean;
  /** How to see the token work, once something else has happened (MAS's worker); null when it works at once. */
  next: string | null;
}

export interface IssueTokenAccounts {
  issueToken(user: ParsedUser, request: IssueTokenRequest): Promise<AccountOutcome<TokenFacts>>;
}

/** check: what the store sees, for the report and its --json keys (json-shapes.ts: check); a half report holds part of them. */
export interface Health<D = JsonOf<'check'>> {
  lines: string[];
  data: D;
  /** The first thing wrong (no usable admin, a database that cannot be read, ...): check then fails. */
  problem?: ToolError;
}

export interface HealthAccounts {
  health(named: readonly ParsedUser[]): Promise<Health>;
}

export interface ApplyAccounts {
  applyBackend(appServices: AppServiceUsers[], opts: { ignorePolicy: boolean; randomBytes: (n: number) => Buffer }): ApplyBackend;
  /**
   * After apply's transaction: what the running server makes of it, and what to say about the
   * result (on a dry run only the latter: the follow-up's server fields stay null).
   */
  afterApply(res: ApplyResult): Promise<ServerFollowUp>;
}

/** Every use case, on one store. */
export interface AccountStore
  extends AdminFlagAccounts,
    UnlockAccounts,
    ListAdminsAccounts,
    RegisterAccounts,
    AdoptAccounts,
    SetPasswordAccounts,
    IssueTokenAccounts,
    HealthAccounts,
    ApplyAccounts {
  readonly name: 'synapse' | 'mas';
}
