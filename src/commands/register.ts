import type { Argv } from 'yargs';
import { appServiceClaiming, loadAppServices, type AppServiceUsers } from '../config/appservice.js';
import { listedInUserDirectory } from '../synapse/user-directory.js';
import { singleValue } from './cli-options.js';
import type { SynapseConfig } from '../config/types.js';
import { UsageError } from '../errors.js';
import { askYesNo, isInteractive, type Io } from '../io.js';
import type { Output } from '../output.js';
import { defineCommand, withUserPositional, type ArgsOf } from './define-command.js';
import type { GlobalOptions } from './global-options.js';
import { prepareForUser, type Prepared } from './prepare.js';
import type { MasPrepared } from '../mas/session.js';
import { checkDisplayname } from '../synapse/limits.js';
import { validateNewLocalpart, type ParsedUser } from '../synapse/user-id.js';
import { findUser } from '../synapse/user-store.js';
import type { MasConfig } from '../mas/config.js';
import type { MasRegisterInput } from '../mas/register.js';
import { existingForRegister, register, type NewUser } from '../synapse/user-operations.js';
import {
  masPasswordsForNewPassword,
  obtainMasPasswordHash,
  obtainPasswordHash,
  passwordSourceGiven,
  type MasHashedPassword,
} from '../passwords/new-password.js';
import { withPasswordOptions } from './password-options.js';
import { reportMasOperation } from './mas-report.js';
import { reportOperation } from './report.js';
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

function userTypeFor(args: RegisterArgs, config: SynapseConfig): string | null {
  if (args.userType === undefined) return config.userTypes.default;
  if (!config.userTypes.allowed.includes(args.userType)) {
    throw new UsageError(
      `--user-type ${args.userType} is not a user type of this server: use ${config.userTypes.allowed.join(', ')} (user_types.extra_user_types adds more).`,
    );
  }
  return args.userType;
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
      const prepared = await prepareForUser(args, io, out, { changes: true });
      const { config, user, read, write } = prepared;
      const { userId, localpart } = user;
      const appServices = await refuseReservedName(config, userId, localpart);
      if (prepared.mas !== undefined) return registerInMas(args, io, out, prepared, prepared.mas);
      const userType = userTypeFor(args, config);
      const admin = await decideAdmin(args, io, userId);
      const input = { userId, localpart, admin, existsOk: args.existsOk };
      // An existing user keeps its password: don't ask for one, or refuse one, for nothing.
      const existing = await read((ctx) => existingForRegister(ctx, input));
      let newUser: NewUser | undefined;
      let generated: string | undefined;
      if (existing === undefined) {
        // New-user rules only for a new user: a legacy @Frank stays reachable with --exists-ok.
        validateNewLocalpart(localpart, config.serverName, { allowUnderscorePrefix: config.allowUnderscorePrefixedLocalpart });
        const password = await obtainPasswordHash(args, io, out, config);
        generated = password.generated;
        newUser = {
          passwordHash: password.hash,
          displayname: args.displayname ?? localpart,
          userType,
          inDirectory: listedInUserDirectory(userId, userType, appServices),
          stats: config.statsEnabled,
        };
      }
      const res = await write((ctx) => register(ctx, input, newUser));
      const showPassword = res.created && generated !== undefined && !args.dryRun;
      await reportOperation(
        out,
        args,
        config,
        res,
        {
          done: res.created
            ? `Registered ${res.userId}${admin ? ' as a server admin' : ''}.${showPassword ? `\nPassword: ${generated}` : ''}`
            : `${res.userId} already existed; it is now ${admin ? '' : 'not '}a server admin. Its password was left alone.`,
          unchanged: `${res.userId} already exists as asked (admin: ${admin ? 'yes' : 'no'}); nothing to change. Its password was left alone.`,
          // Synapse also caches that a user did not exist, if anything looked it up before.
          cached: res.created
            ? 'The new user can log in at once, but lookups such as the Admin API may answer 404 for it (Synapse caches "no such user").'
            : 'It caches who is an admin.',
        },
        { created: res.created, admin, ...(showPassword ? { password: generated } : {}) },
      );
    },
  });
}

/**
 * register on a server whose logins belong to MAS: the user is made in MAS's database, and MAS's
 * worker creates the Synapse account from the provision-user job. Synapse's database is only read,
 * for names it already has.
 */
async function registerInMas(
  args: RegisterArgs,
  io: Io,
  out: Output,
  prepared: Prepared & { user: ParsedUser },
  mas: MasPrepared,
): Promise<void> {
  const { config, user, read } = prepared;
  const { userId, localpart } = user;
  const { existingForMasRegister, registerMasUser, takenInSynapseError, validateMasUsername } = await import('../mas/register.js');
  if (args.userType !== undefined) {
    throw new UsageError(
      "--user-type has no meaning with matrix-authentication-service: MAS has no user types, and the Synapse account it provisions gets none. Leave it out.",
    );
  }
  const admin = await decideAdmin(args, io, userId);
  const input: MasRegisterInput = {
    userId,
    localpart,
    admin,
    existsOk: args.existsOk,
    displayname: args.displayname ?? null,
  };
  const existing = await mas.read((ctx) => existingForMasRegister(ctx, input));
  let password: MasHashedPassword | undefined;
  if (existing === undefined) {
    validateMasUsername(localpart, config.serverName);
    const inSynapse = await read((ctx) => findUser(ctx, userId));
    if (inSynapse !== undefined) throw takenInSynapseError(userId, inSynapse.name);
    password = await masPasswordForRegister(args, io, out, mas.config);
  }
  const res = await mas.write((ctx) => registerMasUser(ctx, input, password));
  const showPassword = res.created && password?.generated !== undefined && !args.dryRun;
  const adminWords = admin ? ' who may request admin rights (MAS: can_request_admin)' : '';
  await reportMasOperation(
    out,
    args,
    res,
    {
      done: res.created
        ? `Registered ${res.userId} in MAS${adminWords}${password === undefined ? ', without a password (for logins through an upstream provider)' : ''}.` +
          (showPassword ? `\nPassword: ${password?.generated}` : '')
        : `${res.userId} already existed in MAS; it ${admin ? 'may now' : 'may no longer'} request admin rights. Its password was left alone.`,
      unchanged: `${res.userId} already exists in MAS as asked (may request admin: ${admin ? 'yes' : 'no'}); nothing to change. Its password was left alone.`,
    },
    {
      created: res.created,
      admin,
      password_set: res.created && password !== undefined,
      ...(showPassword ? { password: password?.generated } : {}),
    },
  );
}

/**
 * A new MAS user's password: required when MAS takes passwords (as for Synapse's own users), and
 * none when MAS's passwords are off, as `mas-cli manage register-user` allows for users who log in
 * through an upstream provider; a password option given then is refused, not ignored.
 */
async function masPasswordForRegister(args: RegisterArgs, io: Io, out: Output, mas: MasConfig): Promise<MasHashedPassword | undefined> {
  if (mas.passwords?.enabled === false && !passwordSourceGiven(args)) return undefined;
  const passwords = masPasswordsForNewPassword(mas);
  return obtainMasPasswordHash(args, io, out, mas, passwords);
}
