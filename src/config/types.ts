// What the tool needs from Synapse's configuration, after files are merged and defaults applied.
import type { DatabaseSettings } from '../database/settings.js';

export interface PasswordPolicy {
  enabled: boolean;
  minimumLength: number;
  requireDigit: boolean;
  requireSymbol: boolean;
  requireLowercase: boolean;
  requireUppercase: boolean;
}

export interface PasswordSettings {
  /** password_config.enabled: false or "only_for_reauth" means no password login. */
  loginEnabled: boolean;
  /** password_config.localdb_enabled: false means Synapse's own hashes are not consulted. */
  localdbEnabled: boolean;
  pepper: string;
  /**
   * Top-level bcrypt_rounds (default 12), as written: Synapse checks it only when it hashes, so a
   * bad one must not stop commands that need no hash (password.ts checks it).
   */
  bcryptRounds: unknown;
  /** The file that set bcrypt_rounds, for messages; absent for the default. */
  bcryptRoundsFile?: string;
  policy: PasswordPolicy;
}

export interface TcpListener {
  port: number;
  bindAddresses: string[];
  tls: boolean;
  /** A `type: http` listener: Synapse serves /health on every one, whatever its resources. */
  http: boolean;
  /** An http listener with the `client` resource: the one that also serves /_synapse/admin. */
  client: boolean;
}

/** A listener with `path:` (Synapse 1.81+): a unix socket, never TLS. */
export interface UnixSocketListener {
  /** Absolute: a relative `path` resolved against the working directory, as for pid_file. */
  path: string;
  http: boolean;
  client: boolean;
}

export type Listener = TcpListener | UnixSocketListener;

export interface SynapseConfig {
  /** Config files actually read, in merge order. */
  files: string[];
  warnings: string[];
  serverName: string;
  database: DatabaseSettings;
  /** Where the database setting came from, for messages (file or "--database-url"). */
  databaseSource: string;
  password: PasswordSettings;
  /** Absolute paths of app-service registration files. */
  appServiceConfigFiles: string[];
  /** allow_underscore_prefixed_localpart: new localparts may start with "_". */
  allowUnderscorePrefixedLocalpart: boolean;
  /** server_notices.system_mxid_localpart: Synapse refuses to register this user. */
  serverNoticesLocalpart?: string;
  /** user_types: the type new users get when none is asked for, and the types allowed. */
  userTypes: { default: string | null; allowed: string[] };
  /** stats.enabled: Synapse keeps user_stats_current only then. */
  statsEnabled: boolean;
  /** Logins and admin rights live in matrix-authentication-service, not in Synapse's tables. */
  delegatedAuth: boolean;
  pidFile?: string;
  listeners: Listener[];
}
