// adopt <user>: give a user that exists only in Synapse a MAS account, as syn2mas does for one user
// (the account store's adopt: src/accounts/mas.ts, src/mas/adopt.ts). A command of its own rather
// than `register --adopt`: register makes a user whose name is free and refuses a taken one, while
// adopt takes an account that exists and carries what it has (its password hash, emails, SSO
// links, devices); neither may do the other's job. Where Synapse owns logins the store refuses.
import type { Io } from '../io.js';
import type { Output } from '../output.js';
import { reportOutcome } from '../accounts/report.js';
import { booleanOption } from './boolean-options.js';
import { defineCommand, withUserPositional } from './define-command.js';
import type { GlobalOptions } from './global-options.js';
import { withPasswordOptions } from './password-options.js';
import { prepareForUser } from './prepare.js';

function adoptOptions(y: import('yargs').Argv<GlobalOptions>) {
  return withPasswordOptions(withUserPositional(y)).option(
    ...booleanOption('admin', "may request admin in MAS (--no-admin: may not); default: Synapse's admin flag"),
  );
}

export function adoptCommand(io: Io, out: Output) {
  return defineCommand({
    builder: adoptOptions,
    handler: async (args) => {
      const { accounts, user } = await prepareForUser(args, io, out, { changes: true });
      const outcome = await accounts.adopt(user, { password: args, admin: args.admin });
      reportOutcome(out, 'adopt', args.dryRun, outcome);
    },
  });
}
