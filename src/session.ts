// The preamble every command shares: read the config, open the database, check it is a Synapse
// database we understand, run the command in one transaction, and close everything.
import { loadConfig } from './config.js';
import type { SynapseConfig } from './config-types.js';
import { inTransaction, withDatabase } from './database.js';
import { describeDatabase } from './database-settings.js';
import { dialectOf } from './dialect.js';
import { ConfigError } from './errors.js';
import type { Io } from './io.js';
import { detectRunningSynapse } from './live-server.js';
import type { Output } from './output.js';
import { inspectSchema } from './schema.js';
import type { UserContext } from './user-store.js';

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
export function refuseDelegatedAuth(config: SynapseConfig): void {
  if (config.delegatedAuth) {
    throw new ConfigError(
      `${config.files.join(', ')} hands logins to matrix-authentication-service, so Synapse's own admin flag, ` +
        'passwords and tokens do not apply. Use MAS instead, e.g. `mas-cli manage promote-admin <username>` ' +
        'and `mas-cli manage set-password <username>`.',
    );
  }
}

/**
 * Runs `fn` against the database in one transaction (rolled back on --dry-run). Read-only
 * callers pass write=false and get no transaction.
 */
export async function withUsers<T>(
  config: SynapseConfig,
  args: GlobalArgs,
  io: Io,
  out: Output,
  write: boolean,
  fn: (ctx: UserContext) => Promise<T>,
): Promise<T> {
  if (write) refuseDelegatedAuth(config);
  return withDatabase(config.database, async (db) => {
    const schema = await inspectSchema(db, describeDatabase(config.database));
    out.detail(`Synapse schema version ${schema.version} (compat ${schema.compatVersion ?? 'n/a'})`);
    for (const w of schema.warnings) out.warn(w);
    const ctx: UserContext = { db, dialect: dialectOf(db), schema, serverName: config.serverName, now: io.now };
    return write ? inTransaction(db, args.dryRun, () => fn(ctx)) : fn(ctx);
  });
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
