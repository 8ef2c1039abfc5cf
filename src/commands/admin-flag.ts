// promote and demote: the same command with the flag turned the other way.
import type { Argv } from 'yargs';
import type { Io } from '../io.js';
import type { Output } from '../output.js';
import { defineCommand, withUserPositional, type UserArgs } from './define-command.js';
import type { GlobalOptions } from './global-options.js';
import { prepareForUser } from './prepare.js';
import { demote, promote } from '../synapse/user-operations.js';
import { reportOperation } from './report.js';
import { booleanOption } from './boolean-options.js';
import { withLiveOption, type LiveMode } from '../live/run.js';
import { liveAdminFlag, liveContext } from '../live/commands.js';

function withLogout<T>(y: Argv<T>) {
  return y.option(...booleanOption('logout', 'with matrix-authentication-service: also end the admin sessions the user holds'));
}

async function handle(admin: boolean, args: UserArgs & { logout?: boolean; live: LiveMode }, io: Io, out: Output): Promise<void> {
  const prepared = await prepareForUser(args, io, out, { changes: true });
  if (prepared.mas !== undefined) return (await import('./mas-admin.js')).masAdminFlag({ ...prepared, mas: prepared.mas }, admin, args, out);
  const { config, user, write } = prepared;
  // Synapse reads users.admin on every request: no session keeps rights the flag no longer gives.
  if (args.logout) out.warn('--logout matters only with matrix-authentication-service; here demoting applies to every session at once.');
  if (await liveAdminFlag(liveContext(prepared, io, out, args), user.userId, admin)) return;
  const res = await write((ctx) => (admin ? promote : demote)(ctx, user.userId));
  await reportOperation(
    out,
    args,
    config,
    res,
    {
      done: admin ? `${res.userId} is now a server admin.` : `${res.userId} is no longer a server admin.`,
      unchanged: `${res.userId} is ${admin ? 'already' : 'not'} a server admin; nothing to change.`,
      cached: 'It caches who is an admin.',
    },
    { admin },
  );
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
