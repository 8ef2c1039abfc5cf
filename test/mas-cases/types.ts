// One row of the MAS command table (test/mas-commands.test.ts), run on a real PostgreSQL holding
// Synapse's slice and MAS's slice.
import type { CliRun } from '../helpers/run-cli.js';
import type { MasWorld, MasWorldOptions } from '../helpers/mas-world.js';

export interface MasCase {
  name: string;
  /** How the world is built: MAS variant, passwords, admin_users, extra config keys. */
  world?: MasWorldOptions;
  /** Rows in either database (world.synapse, world.mas) before the run. */
  seed?: (world: MasWorld) => Promise<void>;
  /** The CLI arguments after `-c <homeserver.yaml> --mas-config <config.yaml> --json`. */
  args: string[];
  input?: string;
  code: number;
  /** A fragment of the error message (checked in the --json error and on stderr). */
  message?: RegExp;
  /**
   * A successful run that must leave both databases as they were. Failing and --dry-run cases are
   * checked for that always, without saying so.
   */
  unchanged?: true;
  check?: (world: MasWorld, run: CliRun) => Promise<void>;
}
