// One row of the MAS command table (test/commands/mas-commands*.test.ts), run on a real PostgreSQL
// holding Synapse's slice and MAS's slice.
import type { TableCase } from '../helpers/table-case.js';
import type { MasWorld, MasWorldOptions } from '../helpers/mas-world.js';

/** A row of the table; the checks every row gets are in test/helpers/table-case.ts. */
export interface MasCase extends TableCase<MasWorld> {
  name: string;
  /** How the world is built: MAS variant, passwords, admin_users, extra config keys. */
  world?: MasWorldOptions;
  /** Rows in either database (world.synapse, world.mas) before the run. */
  seed?: (world: MasWorld) => Promise<void>;
}
