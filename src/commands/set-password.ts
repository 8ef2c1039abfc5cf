import { loadAppServices } from '../config/appservice.js';
import type { Io } from '../io.js';
import type { Output } from '../output.js';
import { defineCommand, prepareForUser, withUserPositional } from './context.js';
import { setPassword, userForSetPassword } from '../synapse/user-operations.js';
import { obtainPasswordHash, withPasswordOptions } from './password-options.js';
import { reportOperation } from './report.js';

export function setPasswordCommand(io: Io, out: Output) {
  return defineCommand({
    command: 'set-password <user>',
    describe: "Replace a user's password (with --reactivate, also bring back a deactivated user)",
    builder: (y) =>
      withPasswordOptions(withUserPositional(y))
        .option('logout', { type: 'boolean', default: false, describe: "also delete the user's access and refresh tokens and its pushers" })
        .option('reactivate', {
          type: 'boolean',
          default: false,
          describe: 'bring back a deactivated user as Synapse reactivation does',
        }),
    handler: async (args) => {
      const { config, user, read, write } = await prepareForUser(args, io, out, { changes: true });
      const { userId } = user;
      const appServices = await loadAppServices(config.appServiceConfigFiles, config.serverName);
      const opts = { ...args, appServices };
      // Refuse an unknown or deactivated user before anyone types a password for it.
      await read((ctx) => userForSetPassword(ctx, userId, args.reactivate));
      const { hash, generated } = await obtainPasswordHash(args, io, out, config);
      const res = await write((ctx) => setPassword(ctx, userId, hash, opts));
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
