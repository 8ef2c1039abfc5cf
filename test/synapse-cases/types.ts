// One row of the Synapse command table, run on SQLite (test/commands/commands-sqlite.test.ts) and
// on a real PostgreSQL (test/commands/commands-postgres.test.ts) by test/helpers/synapse-table.ts.
import type { Knex } from 'knex';
import type { DatabaseSettings } from '../../src/database/settings.js';
import type { TestDialect } from '../helpers/databases.js';
import type { CliRun } from '../helpers/run-cli.js';
import type { TableCase } from '../helpers/table-case.js';

/** A case's world: a fresh database, a directory with homeserver.yaml, and the CLI run against both. */
export interface SynapseEnv {
  db: Knex;
  dir: string;
  config: string;
  settings: DatabaseSettings;
  /** The CLI with `-c <homeserver.yaml> --json` before `args`, run in `dir`. */
  run(args: string[], input?: string): Promise<CliRun>;
}

/** A row of the table; the checks every row gets are in test/helpers/table-case.ts. */
export interface SynapseCase extends TableCase<SynapseEnv> {
  name: string;
  seed?: (db: Knex) => Promise<void>;
  extraConfig?: Record<string, unknown>;
  /** Files written into the case's directory first (apply files, password files); __DIR__ is that directory. */
  files?: Record<string, string | Buffer>;
}

/** A test beside the table: it writes its own homeserver.yaml and may open more databases. */
export interface SynapseTest {
  name: string;
  run(env: SynapseEnv, dialect: TestDialect): Promise<void>;
}
