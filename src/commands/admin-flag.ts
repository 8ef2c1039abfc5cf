// promote and demote: the same command with the flag turned the other way.
import type { Argv } from 'yargs';
import type { Io } from '../io.js';
import type { Output } from '../output.js';
import { reportOutcome } from '../accounts/report.js';
import { defineCommand, withUserPositional, type UserArgs } from './define-command.js';
import type { GlobalOptions } from './global-options.js';
import { prepareForUser } from './prepare.js';
import { booleanOption } from './boolean-options.js';
import { withLiveOption } from '../live/option.js';

function withLogout<T>(y: Argv<T>) {
  return y.option(...booleanOption('logout', 'with matrix-authentication-service: also end the admin sessions the user holds'));
}

async function handle(admin: boolean, args: UserArgs & { logout?: boolean }, io: Io, out: Output): Promise<void> {
  const { accounts, user } = await prepareForUser(args, io, out, { changes: true });
  const outcome = await accounts.setAdmin(user, { admin, logout: args.logout ?? false });
  reportOutcome(out, admin ? 'promote' : 'demote', args.dryRun, outcome);
}

export const promoteCommand = (io: Io, out: Output) =>
  defineCommand({
    builder: (y: Argv<GlobalOptions>) => withLiveOption(withUserPositional(y)),
    handler: (args) => handle(true, args, io, out),
  });

export const demoteCommand = (io: Io, out: Output) =>
  defineCommand({
    builder: (y: Argv<GlobalOptions>) => withLiveOption(withLogout(withUserPositional(y))),
    handler: (args) => handle(false, args, io, out),
  });
