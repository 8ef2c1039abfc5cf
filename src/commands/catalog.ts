// Every command by name, with what `--help` says about it, and how to load it. The CLI loads only
// the modules of the commands named on the command line: a command's module is where its
// libraries come in, and `--help` or one command should not pay for all of them. Each module
// gives its builder and handler; the heading (`command`, `describe`) is said here only, so that
// --help knows it without loading the module, and the module need not import this file.
import type { CommandModule } from 'yargs';
import type { Io } from '../io.js';
import type { Output } from '../output.js';
import type { CommandBody } from './define-command.js';

type Make = (io: Io, out: Output) => CommandBody;

export interface CatalogEntry {
  /** The command word. */
  name: string;
  /** What yargs takes as the command's `command`. */
  command: string;
  describe: string;
  load(): Promise<Make>;
}

export const CATALOG: readonly CatalogEntry[] = [
  {
    name: 'promote',
    command: 'promote <user>',
    describe: 'Make an existing user a server admin (already admin: nothing to do)',
    load: async () => (await import('./admin-flag.js')).promoteCommand,
  },
  {
    name: 'demote',
    command: 'demote <user>',
    describe: 'Take server admin away from a user (not an admin: nothing to do)',
    load: async () => (await import('./admin-flag.js')).demoteCommand,
  },
  {
    name: 'register',
    command: 'register <user>',
    describe: "Create a user exactly as Synapse's own registration would (with MAS: as MAS's would)",
    load: async () => (await import('./register.js')).registerCommand,
  },
  {
    name: 'adopt',
    command: 'adopt <user>',
    describe: 'With MAS: give a user that exists only in Synapse a MAS account, carrying its password hash, emails, SSO links and devices (as syn2mas does)',
    load: async () => (await import('./adopt.js')).adoptCommand,
  },
  {
    name: 'set-password',
    command: 'set-password <user>',
    describe: "Replace a user's password (with --reactivate, also bring back a deactivated user)",
    load: async () => (await import('./set-password.js')).setPasswordCommand,
  },
  {
    name: 'list-admins',
    command: 'list-admins',
    describe: 'List every server admin, marking deactivated, locked and suspended ones',
    load: async () => (await import('./list-admins.js')).listAdminsCommand,
  },
  {
    name: 'issue-token',
    command: 'issue-token <user>',
    describe: 'Write an access token for the user into the database and print it (works when password login is off)',
    load: async () => (await import('./issue-token.js')).issueTokenCommand,
  },
  {
    name: 'unlock',
    command: 'unlock <user>',
    describe: 'Clear a locked or suspended account (and, with --unshadowban, a shadow ban)',
    load: async () => (await import('./unlock.js')).unlockCommand,
  },
  {
    name: 'check',
    command: 'check [users..]',
    describe:
      'Report what the tool sees (config, database, schema, admins, login methods, running Synapse; with MAS also its ' +
      'database, password schemes, admins, worker and jobs), and where the named users exist; changes nothing',
    load: async () => (await import('./check.js')).checkCommand,
  },
  {
    name: 'apply',
    command: 'apply <file>',
    describe: 'Make the users of a YAML or JSON file so (- reads stdin): create, update, demote, in one transaction',
    load: async () => (await import('./apply.js')).applyCommand,
  },
];

/**
 * The commands as yargs takes them: the real module for every command word on the command line
 * (yargs decides which of them is the command), the others by name and description only, so that
 * `--help` lists them and strict parsing knows them. A word that is an option's value (`-c promote`)
 * only costs loading a module that then does not run.
 */
export async function commandsFor(argv: readonly string[], io: Io, out: Output): Promise<CommandModule[]> {
  // Also after `--`: yargs still takes its first positional there as the command.
  const words = new Set(argv);
  return Promise.all(
    CATALOG.map(async (entry): Promise<CommandModule> => {
      if (words.has(entry.name)) return { command: entry.command, describe: entry.describe, ...(await entry.load())(io, out) };
      return {
        command: entry.command,
        describe: entry.describe,
        handler: () => {
          throw new Error(`command ${entry.name} ran without its module`);
        },
      };
    }),
  );
}
