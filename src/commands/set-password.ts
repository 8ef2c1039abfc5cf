import type { Io } from '../io.js';
import type { Output } from '../output.js';
import { reportOutcome } from '../accounts/report.js';
import { defineCommand, withUserPositional } from './define-command.js';
import type { GlobalOptions } from './global-options.js';
import { prepareForUser } from './prepare.js';
import { withPasswordOptions } from './password-options.js';
import { booleanOption } from './boolean-options.js';
import { withLiveOption } from '../live/option.js';

function setPasswordOptions(y: import('yargs').Argv<GlobalOptions>) {
  return withLiveOption(withPasswordOptions(withUserPositional(y)))
    .option(...booleanOption('logout', "also delete the user's access and refresh tokens and its pushers (with MAS: end its sessions)"))
    .option(...booleanOption('reactivate', 'bring back a deactivated user as Synapse reactivation does (with MAS: as MAS does)'));
}

export function setPasswordCommand(io: Io, out: Output) {
  return defineCommand({
    builder: setPasswordOptions,
    handler: async (args) => {
      const { accounts, user } = await prepareForUser(args, io, out, { changes: true });
      const outcome = await accounts.setPassword(user, { password: args, logout: args.logout, reactivate: args.reactivate });
      reportOutcome(out, 'set-password', args.dryRun, outcome);
    },
  });
}
