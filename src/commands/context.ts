// What every command does before its own work, said once: read the config (and say what was
// read), name the user, refuse what needs no database, and open Synapse's database on demand.
import type { SynapseConfig } from '../config/types.js';
import { describeDatabase } from '../database/settings.js';
import { loadConfig } from '../config/load.js';
import { ConfigError } from '../errors.js';
import type { Io } from '../io.js';
import type { Output } from '../output.js';
import { detectRunningSynapse } from '../synapse/live-server.js';
import { delegatedAuthMessage } from '../synapse/login.js';
import { withSynapse } from '../synapse/session.js';
import { parseUserArg, type ParsedUser } from '../synapse/user-id.js';
import type { UserContext } from '../synapse/user-store.js';

export interface GlobalArgs {
  config?: string[];
  json: boolean;
  dryRun: boolean;
  yes: boolean;
  verbose: boolean;
  databaseUrl?: string;
}

export interface UserArgs extends GlobalArgs {
  user: string;
}

export interface Prepared {
  config: SynapseConfig;
  /** A read-only look at the database, outside any transaction. */
  read<T>(fn: (ctx: UserContext) => Promise<T>): Promise<T>;
  /** The command's one transaction, rolled back on --dry-run. */
  write<T>(fn: (ctx: UserContext) => Promise<T>): Promise<T>;
}

async function readConfig(args: GlobalArgs, io: Io, out: Output): Promise<SynapseConfig> {
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
    throw new ConfigError(delegatedAuthMessage(config.files));
  }
}

function opened(config: SynapseConfig, args: GlobalArgs, io: Io, out: Output, changes: boolean): Prepared {
  if (changes) refuseDelegatedAuth(config);
  const session = (mode: 'read' | 'write') => ({ mode, dryRun: args.dryRun, now: io.now, report: out });
  return {
    config,
    read: (fn) => withSynapse(config, session('read'), fn),
    write: (fn) => withSynapse(config, session('write'), fn),
  };
}

/** Reads the config; a command that changes users is refused here when Synapse does not own them. */
export async function prepare(args: GlobalArgs, io: Io, out: Output, { changes }: { changes: boolean }): Promise<Prepared> {
  return opened(await readConfig(args, io, out), args, io, out, changes);
}

/** prepare() for a command about one user, named by the `<user>` argument. */
export async function prepareForUser(
  args: UserArgs,
  io: Io,
  out: Output,
  { changes }: { changes: boolean },
): Promise<Prepared & { user: ParsedUser }> {
  const config = await readConfig(args, io, out);
  const user = parseUserArg(args.user, config.serverName);
  return { ...opened(config, args, io, out, changes), user };
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
