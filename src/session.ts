// The preamble every command shares: read the config, open the database, check it is a Synapse
// database we understand, run the command in one transaction, and close everything.
import type { Knex } from 'knex';
import { loadConfig } from './config.js';
import type { SynapseConfig } from './config-types.js';
import { inTransaction, withDatabase, type AccessMode } from './database.js';
import { describeDatabase } from './database-settings.js';
import { dialectOf } from './dialect.js';
import { ConfigError } from './errors.js';
import type { Io } from './io.js';
import { detectRunningSynapse } from './live-server.js';
import type { Output } from './output.js';
import { inspectSchema } from './schema.js';
import { serverOfUsers, type UserContext } from './user-store.js';

export interface GlobalArgs {
  config?: string[];
  json: boolean;
  dryRun: boolean;
  yes: boolean;
  verbose: boolean;
  databaseUrl?: string;
}

export async function readConfig(args: GlobalArgs, io: Io, out: Output): Promise<SynapseConfig> {
  const config = await loadConfig({
    configPaths: args.config ?? [],
    databaseUrl: args.databaseUrl,
    env: io.env,
    cwd: io.cwd,
  });
  out.detail(`Read config: ${config.files.join(', ')}`);
  out.detail(`Database (${config.databaseSource}): ${describeDatabase(config.database)}`);
  for (const w of config.warnings) out.warn(w);
  return config;
}

/** Changing users in Synapse's tables is pointless when matrix-authentication-service owns logins. */
function refuseDelegatedAuth(config: SynapseConfig): void {
  if (config.delegatedAuth) {
    throw new ConfigError(
      `${config.files.join(', ')} hands logins to matrix-authentication-service, so Synapse's own admin flag, ` +
        'passwords and tokens do not apply. Use MAS instead, e.g. `mas-cli manage promote-admin <username>` ' +
        'and `mas-cli manage set-password <username>`.',
    );
  }
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

export interface Session {
  /** For reads before the change, outside any transaction. */
  ctx: UserContext;
  /** Runs `fn` in the command's one transaction, rolled back on --dry-run. */
  write<T>(fn: (ctx: UserContext) => Promise<T>): Promise<T>;
}

/**
 * Opens Synapse's database, checks it is one we understand, and hands `fn` a session. A command
 * that only reads opens it read-only, and its write() refuses.
 */
export async function withSynapse<T>(
  config: SynapseConfig,
  args: GlobalArgs,
  io: Io,
  out: Output,
  mode: AccessMode,
  fn: (session: Session) => Promise<T>,
): Promise<T> {
  if (mode === 'write') refuseDelegatedAuth(config);
  return withDatabase(config.database, mode, async (db) => {
    const schema = await inspectSchema(db, describeDatabase(config.database));
    out.detail(`Synapse schema version ${schema.version} (compat ${schema.compatVersion ?? 'n/a'})`);
    for (const w of schema.warnings) out.warn(w);
    await refuseForeignDatabase(db, config);
    const ctx: UserContext = { db, dialect: dialectOf(db), schema, serverName: config.serverName, now: io.now };
    return fn({
      ctx,
      write: (change) => {
        if (mode !== 'write') throw new Error('write() on a read-only session');
        return inTransaction(db, args.dryRun, (trx) => change({ ...ctx, db: trx }), io.env);
      },
    });
  });
}

/** The common case: one read, or one transaction, and nothing else. */
export function withUsers<T>(
  config: SynapseConfig,
  args: GlobalArgs,
  io: Io,
  out: Output,
  mode: AccessMode,
  fn: (ctx: UserContext) => Promise<T>,
): Promise<T> {
  return withSynapse(config, args, io, out, mode, (s) => (mode === 'write' ? s.write(fn) : fn(s.ctx)));
}

/**
 * A running Synapse caches what we just changed (admin flag, account state, tokens); tell the
 * user what it will not see until it restarts.
 */
export async function warnIfRunning(config: SynapseConfig, out: Output, changed: boolean, what: string): Promise<boolean> {
  const live = await detectRunningSynapse(config, {});
  if (live.running && changed) {
    out.warn(`Synapse looks like it is running (${live.evidence.join('; ')}). ${what} Restart Synapse for the change to show.`);
  }
  return live.running;
}
