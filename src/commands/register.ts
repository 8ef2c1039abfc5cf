import type { Argv } from 'yargs';
import { appServiceClaiming, loadAppServices, type AppServiceUsers } from '../config/appservice.js';
import { singleValue } from './cli-options.js';
import type { SynapseConfig } from '../config/types.js';
import { UsageError } from '../errors.js';
import { askYesNo, isInteractive, type Io } from '../io.js';
import type { Output } from '../output.js';
import { defineCommand, withUserPositional, type ArgsOf } from './define-command.js';
import type { GlobalOptions } from './global-options.js';
import { prepareForUser } from './prepare.js';
import { checkDisplayname } from '../synapse/limits.js';
import { reportOutcome } from '../accounts/report.js';
import { withPasswordOptions } from './password-options.js';
import { booleanOption } from './boolean-options.js';

function registerOptions(y: Argv<GlobalOptions>) {
  return withPasswordOptions(withUserPositional(y))
    .option(...booleanOption('admin', 'make the user a server admin (--no-admin: not)'))
    .option('displayname', { ...singleValue('displayname'), describe: 'display name (default: the localpart, as Synapse does)' })
    .option('user-type', { ...singleValue('user-type'), describe: "Synapse's user_type: bot, support, or one of user_types.extra_user_types" })
    .option(...booleanOption('exists-ok', 'an existing user is not an error: apply --admin/--no-admin to it, leave its password alone'));
}

type RegisterArgs = ArgsOf<typeof registerOptions>;

async function decideAdmin(args: RegisterArgs, io: Io, userId: string): Promise<boolean> {
  if (args.admin !== undefined) return args.admin;
  if (isInteractive(io) && !args.yes) return askYesNo(io, `Make ${userId} a server admin?`);
  throw new UsageError('Say whether the new user is a server admin: pass --admin or --no-admin.');
}

/** Names Synapse keeps for itself, refused whichever side owns logins (Synapse's check_username does too). */
async function refuseReservedName(config: SynapseConfig, userId: string, localpart: string): Promise<AppServiceUsers[]> {
  if (localpart === config.serverNoticesLocalpart) {
    throw new UsageError(`${userId} is reserved for server notices (server_notices.system_mxid_localpart). Choose another name.`);
  }
  const appServices = await loadAppServices(config.appServiceConfigFiles, config.serverName);
  const claim = appServiceClaiming(userId, appServices);
  if (claim !== undefined) {
    throw new UsageError(
      `${userId} is reserved by application service "${claim.id}" (${claim.file}: ${claim.reason}); only it may register such users. Choose another name.`,
    );
  }
  return appServices;
}

export function registerCommand(io: Io, out: Output) {
  return defineCommand({
    builder: registerOptions,
    handler: async (args) => {
      if (args.displayname !== undefined) checkDisplayname(args.displayname);
      const { config, accounts, user } = await prepareForUser(args, io, out, { changes: true });
      const appServices = await refuseReservedName(config, user.userId, user.localpart);
      const outcome = await accounts.register(user, {
        password: args,
        existsOk: args.existsOk,
        displayname: args.displayname,
        userType: args.userType,
        admin: () => decideAdmin(args, io, user.userId),
        appServices,
      });
      reportOutcome(out, 'register', args.dryRun, outcome);
    },
  });
}
