// Opening MAS's database for one command: check its schema, then run the command's work read-only
// or in its one transaction, exactly as Synapse's side does.
import type { Knex } from 'knex';
import { inSessionTransaction, withDatabase, type DatabaseOwner } from '../database/connection.js';
import { describeDatabase } from '../database/settings.js';
import type { SessionOptions } from '../synapse/session.js';
import type { MasConfig } from './config.js';
import { inspectMasSchema, type MasSchema } from './schema.js';

export interface MasContext {
  db: Knex;
  schema: MasSchema;
  config: MasConfig;
  /** Synapse's server_name: MAS usernames are its localparts. */
  serverName: string;
  now: () => number;
}

/** matrix-authentication-service's side, present when Synapse's config hands logins to it. */
export interface MasPrepared {
  config: MasConfig;
  /** A look at MAS's database that only reads, in a transaction that cannot write. */
  read<T>(fn: (ctx: MasContext) => Promise<T>): Promise<T>;
  /** The command's one transaction on MAS's database, rolled back on --dry-run. */
  write<T>(fn: (ctx: MasContext) => Promise<T>): Promise<T>;
}

/** How driver errors name MAS's database and where to fix its settings. */
export const MAS_DATABASE: DatabaseOwner = {
  service: 'MAS',
  settings: "the database section of MAS's config",
  urlOption: '--mas-database-url',
  httpPort: 8080,
  passwordSetting: "database.password or database.password_file in MAS's config (or the password in --mas-database-url)",
};

export function withMas<T>(config: MasConfig, serverName: string, opts: SessionOptions, fn: (ctx: MasContext) => Promise<T>): Promise<T> {
  return withDatabase(
    config.database,
    opts.access,
    (handle) =>
      inSessionTransaction(handle, opts, async (db) => {
        const schema = await inspectMasSchema(db, describeDatabase(config.database));
        opts.report.detail(`MAS schema: newest migration ${schema.newestMigration}`);
        for (const w of schema.warnings) opts.report.warn(w);
        return fn({ db, schema, config, serverName, now: opts.now });
      }),
    MAS_DATABASE,
  );
}
