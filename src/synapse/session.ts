// Opening Synapse's database for one command: check it is a Synapse database we understand and of
// this server, then run the command's work read-only or in its one transaction.
import type { Knex } from 'knex';
import type { SynapseConfig } from '../config/types.js';
import { describeDatabase } from '../database/settings.js';
import { inSessionTransaction, withDatabase, type AccessMode } from '../database/connection.js';
import { dialectOf } from '../database/dialect.js';
import { ConfigError } from '../errors.js';
import { inspectSchema } from './schema.js';
import { serverOfUsers, type UserContext } from './user-store.js';

/** Where a session's findings go: warnings always, details only when asked for. */
export interface Reporter {
  warn(message: string): void;
  detail(message: string): void;
}

export interface SessionOptions {
  /** What the connection may do: read opens it read-only. */
  access: AccessMode;
  /** Run `fn` in the command's transaction (rolled back on dryRun), or, for reads only, in one that cannot write. */
  transaction: boolean;
  dryRun: boolean;
  /** Milliseconds since the epoch. */
  now: () => number;
  report: Reporter;
  /** Read only for the test-only pause inside the transaction (SAB_TEST_PAUSE_AT, database/test-pause.ts). */
  env: NodeJS.ProcessEnv;
}

/**
 * Synapse refuses to start on a database whose users belong to another server_name ("Found users
 * in database not native to ..."): a copied config or the wrong -c. Refuse it the same way, before
 * anything is read for the command or written.
 */
async function refuseForeignDatabase(db: Knex, config: SynapseConfig): Promise<void> {
  const found = await serverOfUsers(db);
  if (found === undefined || found.serverName === config.serverName) return;
  throw new ConfigError(
    `${config.files.join(', ')} ${config.files.length > 1 ? 'set' : 'sets'} server_name "${config.serverName}", but the users in ` +
      `${describeDatabase(config.database)} belong to "${found.serverName}" (e.g. ${found.userId}). Synapse refuses to start ` +
      'with this pair. Nothing was changed. Check that -c names the config of the server that owns this database ' +
      '(or that the database is the one this config means).',
  );
}

/** Opens Synapse's database, checks it and runs `fn` in one transaction (see inSessionTransaction), and closes it. */
export function withSynapse<T>(config: SynapseConfig, opts: SessionOptions, fn: (ctx: UserContext) => Promise<T>): Promise<T> {
  return withDatabase(config.database, opts.access, (handle) =>
    inSessionTransaction(handle, opts, async (db) => {
      const schema = await inspectSchema(db, describeDatabase(config.database));
      opts.report.detail(`Synapse schema version ${schema.version} (compat ${schema.compatVersion ?? 'n/a'})`);
      for (const w of schema.warnings) opts.report.warn(w);
      await refuseForeignDatabase(db, config);
      return fn({ db, dialect: dialectOf(db), schema, serverName: config.serverName, now: opts.now });
    }),
  );
}
