// What every command does before its own work, said once: read the config (and say what was
// read), name the user, open Synapse's database on demand, and MAS's too when MAS owns logins, and
// pick the account store the command works on: the one place that asks which store it is.
// What only a running command needs (the YAML parser, the database layer, MAS) is imported where
// it is used.
import type { SynapseConfig } from '../config/types.js';
import { describeDatabase } from '../database/settings.js';
import { ConfigError, UsageError } from '../errors.js';
import type { Io } from '../io.js';
import type { Output } from '../output.js';
import type { AccountStore, SynapseAccess } from '../accounts/store.js';
import type { MasConfig } from '../mas/config.js';
import type { MasPrepared } from '../mas/session.js';
import { parseUserArg, type ParsedUser } from '../synapse/user-id.js';
import type { UserArgs } from './define-command.js';
import type { GlobalArgs } from './global-options.js';

export interface Prepared {
  config: SynapseConfig;
  /**
   * Where the accounts live: Synapse's tables, or MAS's when MAS owns logins (Synapse's are then
   * only read). With `masOptional`, a MAS config that cannot be read leaves a store whose `health`
   * reports it and whose other use cases throw it.
   */
  accounts: AccountStore;
}

async function readConfig(args: GlobalArgs, io: Io, out: Output): Promise<SynapseConfig> {
  const { loadConfig } = await import('../config/load.js');
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

interface PrepareOptions {
  changes: boolean;
  /** A MAS config that cannot be found or read is left to the store's `health` to report, instead of thrown. */
  masOptional?: boolean;
}

async function opened(config: SynapseConfig, args: GlobalArgs, io: Io, out: Output, opts: PrepareOptions): Promise<Prepared> {
  const delegated = config.delegatedAuth;
  const session = (transaction: boolean, changes: boolean) => ({
    // A command that will write opens even its first look with write access, so that a database it
    // cannot change (an SQLite file it may only read) is refused before anyone types a password.
    access: changes ? ('write' as const) : ('read' as const),
    transaction,
    dryRun: args.dryRun,
    now: io.now,
    report: out,
    env: io.env,
  });
  // With MAS, Synapse's tables are only read: MAS's worker makes the Synapse side follow.
  const synapseChanges = opts.changes && !delegated;
  const { withSynapse } = await import('../synapse/session.js');
  const db: SynapseAccess = {
    config,
    read: (fn) => withSynapse(config, session(false, synapseChanges), fn),
    write: (fn) => withSynapse(config, session(true, synapseChanges), fn),
  };
  const deps = { io, out, dryRun: args.dryRun };
  if (!delegated) {
    // --live (on the commands that change what a running Synapse caches): auto unless never.
    const live = (args as { live?: 'auto' | 'always' | 'never' }).live ?? 'never';
    if (live !== 'never') return { config, accounts: (await import('../live/store.js')).liveAccounts(live, db, deps) };
    const { synapseAccounts } = await import('../accounts/synapse.js');
    return { config, accounts: synapseAccounts(db, deps) };
  }
  // MAS's own jobs carry changes to Synapse: there is no Admin API way to insist on.
  if ((args as { live?: string }).live === 'always') throw new UsageError((await import('../mas/messages.js')).LIVE_ALWAYS_REFUSED);
  const [{ loadMasConfig }, { withMas }, { masAccounts, masUnreadableAccounts }] = await Promise.all([
    import('../mas/config.js'),
    import('../mas/session.js'),
    import('../accounts/mas.js'),
  ]);
  let mas: MasConfig;
  try {
    mas = await loadMasConfig({
      configPaths: args.masConfig ?? [],
      databaseUrl: args.masDatabaseUrl,
      env: io.env,
      cwd: io.cwd,
      synapseFiles: config.files,
      serverName: config.serverName,
    });
  } catch (err) {
    if (opts.masOptional && err instanceof ConfigError) return { config, accounts: masUnreadableAccounts(db, err, deps) };
    throw err;
  }
  out.detail(`Read MAS config: ${mas.files.length > 0 ? mas.files.join(', ') : '(none)'}`);
  out.detail(`MAS database (${mas.databaseSource}): ${describeDatabase(mas.database)}`);
  for (const w of mas.warnings) out.warn(w);
  const masSessions: MasPrepared = {
    config: mas,
    read: (fn) => withMas(mas, config.serverName, session(false, opts.changes), fn),
    write: (fn) => withMas(mas, config.serverName, session(true, opts.changes), fn),
  };
  return { config, accounts: masAccounts(db, masSessions, deps) };
}

/** Reads the config and opens Synapse's database on demand, and MAS's too when MAS owns logins. */
export async function prepare(args: GlobalArgs, io: Io, out: Output, opts: PrepareOptions): Promise<Prepared> {
  return opened(await readConfig(args, io, out), args, io, out, opts);
}

/** prepare() for a command about one user, named by the `<user>` argument. */
export async function prepareForUser(
  args: UserArgs,
  io: Io,
  out: Output,
  opts: PrepareOptions,
): Promise<Prepared & { user: ParsedUser }> {
  const config = await readConfig(args, io, out);
  const user = parseUserArg(args.user, config.serverName);
  return { ...(await opened(config, args, io, out, opts)), user };
}
