import { loadAppServices } from '../config/appservice.js';
import type { Io } from '../io.js';
import type { Output } from '../output.js';
import { defineCommand, withUserPositional, type ArgsOf } from './define-command.js';
import type { GlobalOptions } from './global-options.js';
import { prepareForUser, type Prepared } from './prepare.js';
import type { MasPrepared } from '../mas/session.js';
import { setPassword, userForSetPassword } from '../synapse/user-operations.js';
import type { ParsedUser } from '../synapse/user-id.js';
import { masPasswordsForNewPassword, obtainMasPasswordHash, obtainPasswordHash, passwordSourceGiven } from '../passwords/new-password.js';
import { withPasswordOptions } from './password-options.js';
import { inSynapse, reportMasOperation } from './mas-report.js';
import { reportOperation } from './report.js';
import { booleanOption } from './boolean-options.js';
import { withLiveOption } from '../live/run.js';
import { liveContext, liveSetPassword } from '../live/commands.js';

function setPasswordOptions(y: import('yargs').Argv<GlobalOptions>) {
  return withLiveOption(withPasswordOptions(withUserPositional(y)))
    .option(...booleanOption('logout', "also delete the user's access and refresh tokens and its pushers (with MAS: end its sessions)"))
    .option(...booleanOption('reactivate', 'bring back a deactivated user as Synapse reactivation does (with MAS: as MAS does)'));
}

type SetPasswordArgs = ArgsOf<typeof setPasswordOptions>;

export function setPasswordCommand(io: Io, out: Output) {
  return defineCommand({
    builder: setPasswordOptions,
    handler: async (args) => {
      const prepared = await prepareForUser(args, io, out, { changes: true });
      if (prepared.mas !== undefined) return setPasswordInMas(args, io, out, prepared, prepared.mas);
      const { config, user, read, write } = prepared;
      const { userId } = user;
      // A password nobody has to type is hashed while the database is looked at: bcrypt takes most
      // of this command's time (a quarter second at cost 12), on a thread of its own. Its errors
      // are reported after the look at the user, as for a typed one.
      const hashing = passwordSourceGiven(args) ? obtainPasswordHash(args, io, out, config) : undefined;
      hashing?.catch(() => {});
      const appServices = await loadAppServices(config.appServiceConfigFiles, config.serverName);
      const opts = { ...args, appServices };
      const hash = () => hashing ?? obtainPasswordHash(args, io, out, config);
      if (await liveSetPassword(liveContext(prepared, io, out, args), { userId, logout: args.logout, reactivate: args.reactivate, appServices, hash })) return;
      // Refuse an unknown or deactivated user before anyone types a password for it.
      await read((ctx) => userForSetPassword(ctx, userId, args.reactivate));
      const { hash: passwordHash, generated } = await hash();
      const res = await write((ctx) => setPassword(ctx, userId, passwordHash, opts));
      const cachedState = [res.reactivated && 'account state', args.logout && 'access tokens and pushers'].filter(Boolean);
      const showPassword = generated !== undefined && !args.dryRun;
      await reportOperation(
        out,
        args,
        config,
        res,
        {
          done:
            (res.reactivated ? `${res.userId} is active again, with the new password.` : `The password of ${res.userId} is set.`) +
            (args.logout ? ` ${res.tokensRemoved} access token(s) and ${res.pushersRemoved} pusher(s) deleted.` : '') +
            (showPassword ? `\nPassword: ${generated}` : ''),
          unchanged: 'Nothing to change.',
          cached: cachedState.length > 0 ? `It caches ${cachedState.join(' and ')}.` : undefined,
        },
        { reactivated: res.reactivated, tokens_removed: res.tokensRemoved, pushers_removed: res.pushersRemoved, ...(showPassword ? { password: generated } : {}) },
      );
    },
  });
}

/** set-password on a server whose logins belong to MAS: a new user_passwords row in MAS's database. */
async function setPasswordInMas(
  args: SetPasswordArgs,
  io: Io,
  out: Output,
  prepared: Prepared & { user: ParsedUser },
  mas: MasPrepared,
): Promise<void> {
  const { user } = prepared;
  const { masUserForSetPassword, setMasPassword } = await import('../mas/set-password.js');
  const passwords = masPasswordsForNewPassword(mas.config);
  const opts = { logout: args.logout, reactivate: args.reactivate, inSynapse: inSynapse(prepared, user.userId) };
  // Refuse an unknown or deactivated user before anyone types a password for it.
  await mas.read((ctx) => masUserForSetPassword(ctx, user.localpart, opts));
  const password = await obtainMasPasswordHash(args, io, out, mas.config, passwords);
  const res = await mas.write((ctx) => setMasPassword(ctx, user.localpart, password, opts));
  const showPassword = password.generated !== undefined && !args.dryRun;
  const s = res.sessionsEnded;
  await reportMasOperation(
    out,
    args,
    res,
    {
      done:
        (res.reactivated ? `${res.userId} is active again in MAS, with the new password.` : `The MAS password of ${res.userId} is set.`) +
        (showPassword ? `\nPassword: ${password.generated}` : ''),
      unchanged: 'Nothing to change.',
    },
    {
      reactivated: res.reactivated,
      password_version: password.version,
      ...(s !== undefined ? { sessions_ended: { compat: s.compat, oauth2: s.oauth2, browser: s.browser, personal: s.personal } } : {}),
      ...(showPassword ? { password: password.generated } : {}),
    },
  );
}
