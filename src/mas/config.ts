// matrix-authentication-service's own config, as far as this tool needs it: where its database is,
// how it hashes passwords, and who its policy makes admin. (STUB: helper "mas-config" implements.)
import type { PostgresConnection } from '../libpq/settings.js';

export type MasPasswordAlgorithm = 'argon2id' | 'bcrypt' | 'pbkdf2';

export interface MasPasswordScheme {
  version: number;
  algorithm: MasPasswordAlgorithm;
  /** NFKC before hashing (and before the pepper). */
  unicodeNormalization: boolean;
  /** bcrypt's cost (default 12); unused by the other algorithms. */
  cost: number;
  /** The pepper: `secret` as UTF-8 bytes, or `secret_file`'s raw bytes (MAS does not trim them). */
  secret?: Buffer;
}

export interface MasPasswords {
  enabled: boolean;
  /** zxcvbn score 0-4 a new password must reach (default 3). */
  minimumComplexity: number;
  /** Sorted by version, ascending: the last one hashes new passwords. */
  schemes: MasPasswordScheme[];
  /** The file that set `passwords` (for messages), absent for MAS's defaults. */
  file?: string;
}

export interface MasConfig {
  /** Config files read, in merge order; empty when only --mas-database-url was given. */
  files: string[];
  warnings: string[];
  database: { engine: 'postgres'; connection: PostgresConnection };
  /** Where the database setting came from, for messages (a file or "--mas-database-url"). */
  databaseSource: string;
  /** Undefined when no MAS config file was read: hashing then needs --mas-config. */
  passwords?: MasPasswords;
  /** policy.data.admin_users: usernames MAS's policy lets ask for admin whatever their row says. */
  adminUsers: string[];
}

export interface LoadMasConfigOptions {
  /** --mas-config, repeatable. */
  configPaths: string[];
  /** --mas-database-url. */
  databaseUrl?: string;
  env: NodeJS.ProcessEnv;
  cwd: string;
  /** The Synapse config files, for the message when no MAS config is found. */
  synapseFiles: string[];
}

export async function loadMasConfig(_opts: LoadMasConfigOptions): Promise<MasConfig> {
  throw new Error('loadMasConfig: not implemented yet');
}
